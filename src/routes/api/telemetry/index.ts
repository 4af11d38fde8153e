import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireWriter } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { IngestResult } from '../../../schemas/readings.js';
import { TelemetryBody } from '../../../schemas/telemetry.js';
import { TELEMETRY_DESCRIPTION } from '../devices/telemetry.js';

/** POST /api/telemetry: for a device's own ingest key, which names its device. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '',
    {
      bodyLimit: 2 * 1024 * 1024,
      config: { ingest: true },
      schema: {
        tags: ['telemetry'],
        summary: "Send the values of the device a device's ingest key names",
        description: `${TELEMETRY_DESCRIPTION} A site's key, or a person, names no device here: 403.`,
        body: TelemetryBody,
        response: { 200: IngestResult, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request) => app.services.telemetry.send(requireWriter(request), null, request.body),
  );
};

export default routes;
