import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { AcknowledgeBody, AlarmParams, ClearBody } from '../../../schemas/alarms.js';
import { Id } from '../../../schemas/common.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { render } from '../render.js';

const templates = { page: 'pages/alarms/index', partial: 'partials/alarms/list' };
/** What the page confirms after its forms (`?done=`, set by their redirects): fixed words only. */
const DONE = { acknowledged: 'Alarm acknowledged.', cleared: 'Alarm cleared.' } as const;
const AlarmsPageQuery = Type.Object({
  done: Type.Optional(Type.Enum(Object.keys(DONE) as (keyof typeof DONE)[])),
  siteId: Type.Optional(Id),
});

/** The fleet's alarms that need someone: active first, most severe first; forms for those who may act. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { done?: string | null; failed?: { id: string; errors: Errors; values: object }; siteId?: string },
    status = 200,
  ) {
    const { site, alarms } = await app.services.alarms.attention(requireActor(request), extra.siteId);
    const title = site ? `Alarms · ${site.name}` : 'Alarms';
    const data = { title, site, alarms, done: null, failed: null, ...extra };
    return render(request, reply, templates, data, status);
  }

  app.get('/alarms', { schema: { querystring: AlarmsPageQuery } }, async (request, reply) =>
    show(request, reply, {
      done: request.query.done ? DONE[request.query.done] : null,
      siteId: request.query.siteId,
    }),
  );

  // The navigation's badge alone: public/alarms-live.js fetches it after each alarm change.
  app.get('/alarms/badge', async (request, reply) => {
    const activeAlarms = await app.services.alarms.activeCount(requireActor(request));
    const html = await reply.viewAsync('partials/alarms/badge', { activeAlarms });
    return reply.type('text/html; charset=utf-8').send(html);
  });

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
