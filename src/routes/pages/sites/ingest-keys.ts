import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import { CreateIngestKeyBody } from '../../../schemas/ingest-keys.js';
import { SiteParams } from '../../../schemas/sites.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { redirect, render } from '../render.js';

const templates = { page: 'pages/sites/ingest-keys', partial: 'partials/sites/ingest-keys' };
/** Devices offered to limit a key to; a site with more gets its keys for the rest through the API. */
const DEVICES_SHOWN = 200;

/** The device picker's "any device of the site" is an empty choice: the JSON body then has no deviceId. */
async function anyDevice(request: FastifyRequest) {
  const body = request.body as { deviceId?: unknown } | undefined;
  if (body && body.deviceId === '') delete body.deviceId;
}

/** /sites/:siteId/ingest-keys: the site's device keys (technicians of the site, admins). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    siteId: string,
    extra: { created?: unknown; values?: object; errors?: Errors },
    status = 200,
  ) {
    const page = await app.services.dashboards.ingestKeys(requireActor(request), siteId, DEVICES_SHOWN);
    const data = {
      title: `Ingest keys · ${page.site.name}`,
      ...page,
      created: null,
      values: { name: '', deviceId: '' },
    };
    return render(request, reply, templates, { ...data, errors: {}, ...extra }, status);
  }

  app.get('/sites/:siteId/ingest-keys', { schema: { params: SiteParams } }, async (request, reply) =>
    show(request, reply, request.params.siteId, {}),
  );

  // The new key is in this response only: it is rendered, never redirected to.
  app.post(
    '/sites/:siteId/ingest-keys',
    {
      schema: { params: SiteParams, body: CreateIngestKeyBody },
      attachValidation: true,
      preValidation: [fromForm(CreateIngestKeyBody), anyDevice],
    },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.ingestKeys.create(requireActor(request), request.params.siteId, request.body),
        // The page shows the secret once: no cache (browser history, proxy) may keep a copy.
        done: (created) =>
          show(request, reply.header('cache-control', 'no-store'), request.params.siteId, { created }, 201),
        again: (errors) => show(request, reply, request.params.siteId, { values: request.body, errors }, 422),
      }),
  );

  app.post(
    '/sites/:siteId/ingest-keys/:keyId/revoke',
    { schema: { params: Type.Object({ siteId: Id, keyId: Id }) } },
    async (request, reply) => {
      const { siteId, keyId } = request.params;
      await app.services.ingestKeys.revoke(requireActor(request), keyId, siteId);
      if (request.htmx.partial) return show(request, reply, siteId, {});
      return redirect(request, reply, `/sites/${siteId}/ingest-keys`);
    },
  );
};

export default routes;
