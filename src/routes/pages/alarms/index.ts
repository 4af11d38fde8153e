import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { AcknowledgeBody, AlarmParams, ClearBody } from '../../../schemas/alarms.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { render } from '../render.js';

const templates = { page: 'pages/alarms/index', partial: 'partials/alarms/list' };
/** What the page confirms after its forms (`?done=`, set by their redirects): fixed words only. */
const DONE = { acknowledged: 'Alarm acknowledged.', cleared: 'Alarm cleared.' } as const;
const AlarmsPageQuery = Type.Object({ done: Type.Optional(Type.Enum(Object.keys(DONE) as (keyof typeof DONE)[])) });

/** The fleet's alarms that need someone: active first, most severe first; forms for those who may act. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { done?: string | null; failed?: { id: string; errors: Errors; values: object } },
    status = 200,
  ) {
    const alarms = await app.services.alarms.attention(requireActor(request));
    return render(request, reply, templates, { title: 'Alarms', alarms, done: null, failed: null, ...extra }, status);
  }

  app.get('/alarms', { schema: { querystring: AlarmsPageQuery } }, async (request, reply) =>
    show(request, reply, { done: request.query.done ? DONE[request.query.done] : null }),
  );

  app.post(
    '/alarms/:alarmId/acknowledge',
    {
      schema: { params: AlarmParams, body: AcknowledgeBody },
      attachValidation: true,
      preValidation: fromForm(AcknowledgeBody),
    },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.alarms.acknowledge(requireActor(request), request.params.alarmId, request.body.comment),
        done: () => '/alarms?done=acknowledged',
        again: (errors) =>
          show(request, reply, { failed: { id: request.params.alarmId, errors, values: request.body ?? {} } }, 422),
        fieldFor: { SW_ALARM_ACKNOWLEDGED: '/comment' },
      }),
  );

  app.post(
    '/alarms/:alarmId/clear',
    { schema: { params: AlarmParams, body: ClearBody }, attachValidation: true, preValidation: fromForm(ClearBody) },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.alarms.clear(requireActor(request), request.params.alarmId, request.body.reason),
        done: () => '/alarms?done=cleared',
        again: (errors) =>
          show(request, reply, { failed: { id: request.params.alarmId, errors, values: request.body ?? {} } }, 422),
        fieldFor: { SW_ALARM_CLEARED: '/reason' },
      }),
  );
};

export default routes;
