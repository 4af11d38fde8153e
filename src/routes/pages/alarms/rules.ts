import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import {
  AlarmRuleParams,
  EditRuleQuery,
  PageAlarmRuleBody,
  PageEditRuleBody,
  PageRuleEnabledBody,
} from '../../../schemas/alarms.js';
import { SiteParams } from '../../../schemas/sites.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { redirect, render } from '../render.js';

const templates = { page: 'pages/alarms/rules', partial: 'partials/alarms/rules' };
/** What the page confirms after its forms (`?done=`, set by their redirects): fixed words only. */
const DONE = { added: 'Rule added.', changed: 'Rule changed.', deleted: 'Rule deleted.' } as const;
const RulesPageQuery = Type.Object({ done: Type.Optional(Type.Enum(Object.keys(DONE) as (keyof typeof DONE)[])) });

/** A site's alarm rules: everyone on the site reads them; technicians and admins add, switch and delete. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    siteId: string,
    extra: { done?: string | null; values?: object; errors?: Errors },
    status = 200,
  ) {
    const page = await app.services.alarms.sitePage(requireActor(request), siteId);
    const data = { title: `Alarm rules · ${page.site.name}`, ...page, done: null, values: {}, errors: {}, ...extra };
    return render(request, reply, templates, data, status);
  }

  app.get(
    '/sites/:siteId/alarm-rules',
    { schema: { params: SiteParams, querystring: RulesPageQuery } },
    async (request, reply) =>
      show(request, reply, request.params.siteId, { done: request.query.done ? DONE[request.query.done] : null }),
  );

  app.post(
    '/sites/:siteId/alarm-rules',
    {
      schema: { params: SiteParams, body: PageAlarmRuleBody },
      attachValidation: true,
      preValidation: fromForm(PageAlarmRuleBody),
    },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.alarms.createFromPage(requireActor(request), request.params.siteId, request.body),
        done: () => `/sites/${request.params.siteId}/alarm-rules?done=added`,
        again: (errors) => show(request, reply, request.params.siteId, { values: request.body ?? {}, errors }, 422),
      }),
  );

  app.post(
    '/alarm-rules/:ruleId/enabled',
    { schema: { params: AlarmRuleParams, body: PageRuleEnabledBody }, preValidation: fromForm(PageRuleEnabledBody) },
    async (request, reply) => {
      const rule = await app.services.alarms.updateRule(requireActor(request), request.params.ruleId, request.body);
      return redirect(request, reply, `/sites/${rule.siteId}/alarm-rules?done=changed`);
    },
  );

  // Changing a rule's numbers, severity or switch: from the site's rules page or the device page (`?device=`, back there).
  const editTemplates = { page: 'pages/alarms/edit', partial: 'partials/alarms/edit' };
  async function showEdit(
    request: FastifyRequest,
    reply: FastifyReply,
    ruleId: string,
    device: string | undefined,
    extra: { values?: object; errors?: Errors },
    status = 200,
  ) {
    const page = await app.services.alarms.ruleEditor(requireActor(request), ruleId);
    const data = {
      title: `Edit alarm rule · ${page.target}`,
      ...page,
      device,
      values: page.rule,
      errors: {},
      ...extra,
    };
    return render(request, reply, editTemplates, data, status);
  }

  app.get(
    '/alarm-rules/:ruleId/edit',
    { schema: { params: AlarmRuleParams, querystring: EditRuleQuery } },
    async (request, reply) => showEdit(request, reply, request.params.ruleId, request.query.device, {}),
  );

  app.post(
    '/alarm-rules/:ruleId/edit',
    {
      schema: { params: AlarmRuleParams, querystring: EditRuleQuery, body: PageEditRuleBody },
      attachValidation: true,
      preValidation: fromForm(PageEditRuleBody),
    },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.alarms.updateRule(requireActor(request), request.params.ruleId, request.body),
        done: (rule) =>
          request.query.device
            ? `/devices/${request.query.device}?done=rule-saved`
            : `/sites/${rule.siteId}/alarm-rules?done=changed`,
        again: (errors) =>
          showEdit(
            request,
            reply,
            request.params.ruleId,
            request.query.device,
            { values: request.body ?? {}, errors },
            422,
          ),
      }),
  );

  app.post('/alarm-rules/:ruleId/delete', { schema: { params: AlarmRuleParams } }, async (request, reply) => {
    const rule = await app.services.alarms.deleteRule(requireActor(request), request.params.ruleId);
    return redirect(request, reply, `/sites/${rule.siteId}/alarm-rules?done=deleted`);
  });
};

export default routes;
