import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { IngestResult, ReadingsBody } from '../../../schemas/readings.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '',
    {
      // 10,000 readings of ~90 bytes each fit well within this.
      bodyLimit: 2 * 1024 * 1024,
      schema: {
        tags: ['readings'],
        summary: "Ingest up to 10,000 readings atomically (technicians of the metrics' sites, admins)",
        description:
          'The whole batch is validated first: any invalid reading refuses it with 422 and the index and reason of each. Re-sending a metric+timestamp replaces the value.',
        body: ReadingsBody,
        response: { 200: IngestResult, ...pickProblems(400, 401, 403, 422) },
      },
    },
    async (request) => app.services.readings.ingest(requireActor(request), request.body.readings),
  );
};

export default routes;
