import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import { MetricParams, MetricSchema, UpdateMetricBody } from '../../../schemas/metrics.js';

const tags = ['metrics'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:metricId',
    {
      schema: {
        tags,
        summary: 'A metric with its latest value, unit and freshness',
        params: MetricParams,
        response: { 200: MetricSchema, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.metrics.get(requireActor(request), request.params.metricId),
  );

  app.patch(
    '/:metricId',
    {
      schema: {
        tags,
        summary: 'Change a metric',
        params: MetricParams,
        body: UpdateMetricBody,
        response: { 200: MetricSchema, ...pickProblems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => app.services.metrics.update(requireActor(request), request.params.metricId, request.body),
  );

  app.delete(
    '/:metricId',
    {
      schema: {
        tags,
        summary: "Delete a metric and its readings (not a device's last one)",
        params: MetricParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await app.services.metrics.delete(requireActor(request), request.params.metricId);
      return reply.code(204).send(null);
    },
  );
};

export default routes;
