import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import {
  AlarmRuleList,
  AlarmRuleParams,
  AlarmRuleSchema,
  CreateAlarmRuleBody,
  CreateSiteAlarmRuleBody,
  UpdateAlarmRuleBody,
} from '../../../schemas/alarms.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import { MetricParams } from '../../../schemas/metrics.js';
import { SiteParams } from '../../../schemas/sites.js';

const tags = ['alarms'];

/** /api/alarm-rules/:ruleId */
const rules: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:ruleId',
    {
      schema: {
        tags,
        summary: 'An alarm rule',
        params: AlarmRuleParams,
        response: { 200: AlarmRuleSchema, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.alarms.getRule(requireActor(request), request.params.ruleId),
  );

  app.patch(
    '/:ruleId',
    {
      schema: {
        tags,
        summary: 'Change, disable or enable an alarm rule',
        description: "A changed condition or a disabled rule clears the rule's open alarms and starts over.",
        params: AlarmRuleParams,
        body: UpdateAlarmRuleBody,
        response: { 200: AlarmRuleSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request) => app.services.alarms.updateRule(requireActor(request), request.params.ruleId, request.body),
  );

  app.delete(
    '/:ruleId',
    {
      schema: {
        tags,
        summary: 'Delete an alarm rule (its alarms stay in the history, cleared)',
        params: AlarmRuleParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.services.alarms.deleteRule(requireActor(request), request.params.ruleId);
      return reply.code(204).send(null);
    },
  );
};

/** /api/metrics/:metricId/alarm-rules */
export const metricAlarmRules: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: "The alarm rules that apply to a metric: its own and its site's for its device type and key",
        params: MetricParams,
        response: { 200: AlarmRuleList, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.alarms.listForMetric(requireActor(request), request.params.metricId),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Add an alarm rule on a metric (technicians of its site, admins)',
        params: MetricParams,
        body: CreateAlarmRuleBody,
        response: { 201: AlarmRuleSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const rule = await app.services.alarms.createForMetric(
        requireActor(request),
        request.params.metricId,
        request.body,
      );
      return reply.code(201).header('location', `/api/alarm-rules/${rule.id}`).send(rule);
    },
  );
};

/** /api/sites/:siteId/alarm-rules */
export const siteAlarmRules: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: "Every alarm rule on a site's metrics",
        params: SiteParams,
        response: { 200: AlarmRuleList, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.alarms.listForSite(requireActor(request), request.params.siteId),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Add an alarm rule on a metric key of every device of a type on the site, present and future',
        params: SiteParams,
        body: CreateSiteAlarmRuleBody,
        response: { 201: AlarmRuleSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const rule = await app.services.alarms.createForSite(requireActor(request), request.params.siteId, request.body);
      return reply.code(201).header('location', `/api/alarm-rules/${rule.id}`).send(rule);
    },
  );
};

export default rules;
