import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireWriter } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { DeviceParams } from '../../../schemas/devices.js';
import { IngestResult } from '../../../schemas/readings.js';
import { TelemetryBody } from '../../../schemas/telemetry.js';

export const TELEMETRY_DESCRIPTION =
  'A sample `{"ts": <epoch ms or ISO 8601>, "values": {"<metric key>": number}}`, a list of samples, or bare values `{"<metric key>": number}` stamped on receipt. ' +
  'Validated whole like POST /api/readings: a key no metric of the device has, a bad time or value refuses the message with 422 naming each, and nothing is stored. Re-sending a metric and time replaces the value.';

/** POST /api/devices/:deviceId/telemetry: a device's ingest key (of its site or of it), or a person who manages it. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/:deviceId/telemetry',
    {
      bodyLimit: 2 * 1024 * 1024,
      config: { ingest: true },
      schema: {
        tags: ['telemetry'],
        summary: "Send a device's values by metric key (its site's or its own ingest key; technicians, admins)",
        description: TELEMETRY_DESCRIPTION,
        params: DeviceParams,
        body: TelemetryBody,
        response: { 200: IngestResult, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request) => app.services.telemetry.send(requireWriter(request), request.params.deviceId, request.body),
  );
};

export default routes;
