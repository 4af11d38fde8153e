import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { AcknowledgeBody, AlarmListQuery, AlarmParams, AlarmSchema, ClearBody } from '../../../schemas/alarms.js';
import { PageOf, pickProblems } from '../../../schemas/common.js';
import { sseSink } from '../sse.js';

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

  app.get(
    '/stream',
    {
      // No automatic HEAD: its answer would never end (see the subscription stream).
      exposeHeadRoute: false,
      schema: {
        tags,
        summary: 'Live alarm changes on your sites (Server-Sent Events)',
        description:
          'Events `alarm` with data `{type, alarm}`: `type` is `raised`, `acknowledged`, `cleared` or `updated` (severity changed), `alarm` the alarm as it is when the event is sent (the shape of `GET /api/alarms`). A moving `lastSeen` or peak is not an event. Each event has an id; send `Last-Event-ID` to get what you missed (events are kept a day). An `event: reset` means the gap cannot be filled: reload the list. Heartbeat comment every 15 s. At most 10 open alarm streams per user (429). The stream ends within seconds of the session or token that opened it.',
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } },
          ...pickProblems(400, 401, 429),
        },
      },
    },
    async (request, reply) => {
      const close = await app.services.alarmStreams.open(
        requireActor(request),
        request.credential ?? (async () => null),
        request.headers['last-event-id'],
        sseSink(reply),
      );
      request.raw.on('close', close);
    },
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
