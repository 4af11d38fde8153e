import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { MetricParams } from '../../../schemas/metrics.js';
import { SeriesQuery, seriesResponse } from '../../../schemas/timeseries.js';
import { sendSeries } from '../series-reply.js';

/** GET /api/metrics/:metricId/timeseries */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:metricId/timeseries',
    {
      schema: {
        tags: ['timeseries'],
        summary: 'History of one metric in aligned buckets (JSON or CSV)',
        params: MetricParams,
        querystring: SeriesQuery,
        response: { 200: seriesResponse, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const answer = await app.services.timeseries.forMetric(requireActor(request), request.params.metricId, query);
      const [m] = answer.metrics;
      return sendSeries(request, reply, answer, format, `${m.siteName}-${m.deviceName}-${m.key}`);
    },
  );
};

export default routes;
