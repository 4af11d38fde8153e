import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import {
  CreatedIngestKeySchema,
  CreateIngestKeyBody,
  IngestKeyList,
  IngestKeyParams,
} from '../../../schemas/ingest-keys.js';
import { SiteParams } from '../../../schemas/sites.js';

const tags = ['ingest keys'];

/** Routes under /api/sites/:siteId/ingest-keys: technicians of the site and admins. */
export const siteIngestKeys: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: "The site's ingest keys, revoked ones included (never the secret)",
        params: SiteParams,
        response: { 200: IngestKeyList, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: await app.services.ingestKeys.list(requireActor(request), request.params.siteId) }),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Create an ingest key for the site or one of its devices; the key is shown in this response only',
        description:
          'A key may only send telemetry: every other route answers it 401. Without `deviceId` it writes to any device of the site.',
        params: SiteParams,
        body: CreateIngestKeyBody,
        response: { 201: CreatedIngestKeySchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        // The secret is in this answer only: no cache (browser, proxy) may keep a copy.
        .header('cache-control', 'no-store')
        .send(await app.services.ingestKeys.create(requireActor(request), request.params.siteId, request.body)),
  );
};

/** Routes under /api/ingest-keys. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.delete(
    '/:keyId',
    {
      schema: {
        tags,
        summary: 'Revoke an ingest key (technicians of its site, admins); it stops working at its next message',
        params: IngestKeyParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.services.ingestKeys.revoke(requireActor(request), request.params.keyId);
      return reply.code(204).send(null);
    },
  );
};

export default routes;
