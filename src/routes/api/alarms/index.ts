import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { AcknowledgeBody, AlarmListQuery, AlarmParams, AlarmSchema, ClearBody } from '../../../schemas/alarms.js';
import { PageOf, pickProblems } from '../../../schemas/common.js';

const tags = ['alarms'];

/** /api/alarms: the alarms of every site the caller sees, and their lifecycle. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Alarms on your sites, newest raised first',
        description: '`state=open`: not cleared, or cleared by the data but not yet acknowledged.',
        querystring: AlarmListQuery,
        response: { 200: PageOf(AlarmSchema), ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.alarms.list(requireActor(request), request.query),
  );

  app.post(
    '/:alarmId/acknowledge',
    {
      schema: {
        tags,
        summary: 'Acknowledge an alarm (technicians of its site, admins), with an optional comment',
        params: AlarmParams,
        body: AcknowledgeBody,
        response: { 200: AlarmSchema, ...pickProblems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) =>
      app.services.alarms.acknowledge(requireActor(request), request.params.alarmId, request.body.comment),
  );

  app.post(
    '/:alarmId/clear',
    {
      schema: {
        tags,
        summary: 'Clear an alarm by hand with a reason (technicians of its site, admins)',
        params: AlarmParams,
        body: ClearBody,
        response: { 200: AlarmSchema, ...pickProblems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => app.services.alarms.clear(requireActor(request), request.params.alarmId, request.body.reason),
  );
};

export default routes;
