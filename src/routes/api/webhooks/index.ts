import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import { SiteParams } from '../../../schemas/sites.js';
import {
  CreateWebhookBody,
  DeliveryList,
  UpdateWebhookBody,
  WebhookList,
  WebhookParams,
  WebhookSchema,
} from '../../../schemas/webhooks.js';

const tags = ['webhooks'];

/** /api/sites/:siteId/webhooks: admins only (members 403, anyone else the site's 404). */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: "The site's alarm webhooks (admins)",
        params: SiteParams,
        response: { 200: WebhookList, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) => app.services.webhooks.list(requireActor(request), request.params.siteId),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Add an alarm webhook (admins)',
        description:
          'Each alarm change on the site (of a chosen severity) is POSTed as JSON, signed with the secret: `Sitewatt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The secret is never returned. Private, loopback and link-local addresses are refused unless the host is in WEBHOOK_ALLOW_HOSTS.',
        params: SiteParams,
        body: CreateWebhookBody,
        response: { 201: WebhookSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const hook = await app.services.webhooks.create(requireActor(request), request.params.siteId, request.body);
      return reply.code(201).send(hook);
    },
  );

  app.patch(
    '/:webhookId',
    {
      schema: {
        tags,
        summary: 'Change a webhook: URL, secret (write-only), severities, enabled (admins)',
        params: WebhookParams,
        body: UpdateWebhookBody,
        response: { 200: WebhookSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request) =>
      app.services.webhooks.update(
        requireActor(request),
        request.params.siteId,
        request.params.webhookId,
        request.body,
      ),
  );

  app.delete(
    '/:webhookId',
    {
      schema: {
        tags,
        summary: 'Delete a webhook and its deliveries (admins)',
        params: WebhookParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.services.webhooks.remove(requireActor(request), request.params.siteId, request.params.webhookId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:webhookId/deliveries',
    {
      schema: {
        tags,
        summary: "A webhook's latest deliveries, each with every attempt (admins)",
        params: WebhookParams,
        response: { 200: DeliveryList, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) =>
      app.services.webhooks.deliveries(requireActor(request), request.params.siteId, request.params.webhookId),
  );
};

export default routes;
