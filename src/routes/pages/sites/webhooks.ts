import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireActor } from '../../../plugins/app/auth.js';
import { SiteParams } from '../../../schemas/sites.js';
import { CreateWebhookBody, WebhookParams } from '../../../schemas/webhooks.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { redirect, render } from '../render.js';

const templates = { page: 'pages/sites/webhooks', partial: 'partials/sites/webhooks' };

/**
 * Checkboxes send `severities` once per ticked box (none: every severity, as in the API). The form
 * reader keeps the last of repeated names, so they become the rows `severities[0]`, `severities[1]`.
 */
async function severityList(request: FastifyRequest) {
  const body = request.body as Record<string, unknown> | undefined;
  if (!body || typeof body !== 'object' || body.severities === undefined) return;
  const list = ([] as unknown[]).concat(body.severities);
  delete body.severities;
  list.forEach((v, i) => (body[`severities[${i}]`] = v));
}

/** /sites/:siteId/webhooks: a site's alarm webhooks and their latest deliveries (admins). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    siteId: string,
    extra: { values?: object; errors?: Errors; done?: string | null },
    status = 200,
  ) {
    const page = await app.services.webhooks.sitePage(requireActor(request), siteId);
    const data = { title: `Webhooks · ${page.site.name}`, ...page, values: {}, errors: {}, done: null, ...extra };
    return render(request, reply, templates, data, status);
  }

  app.get('/sites/:siteId/webhooks', { schema: { params: SiteParams } }, async (request, reply) =>
    show(request, reply, request.params.siteId, {}),
  );

  app.post(
    '/sites/:siteId/webhooks',
    {
      schema: { params: SiteParams, body: CreateWebhookBody },
      attachValidation: true,
      preValidation: [severityList, fromForm(CreateWebhookBody)],
    },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.webhooks.create(requireActor(request), request.params.siteId, request.body),
        done: () => `/sites/${request.params.siteId}/webhooks`,
        // The secret is write-only: it is not put back into the form.
        again: (errors) =>
          show(request, reply, request.params.siteId, { values: { ...request.body, secret: '' }, errors }, 422),
      }),
  );

  app.post(
    '/sites/:siteId/webhooks/:webhookId/delete',
    { schema: { params: WebhookParams } },
    async (request, reply) => {
      const { siteId, webhookId } = request.params;
      await app.services.webhooks.remove(requireActor(request), siteId, webhookId);
      return redirect(request, reply, `/sites/${siteId}/webhooks`);
    },
  );
};

export default routes;
