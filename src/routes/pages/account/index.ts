import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireActor } from '../../../plugins/app/auth.js';
import { CreateTokenBody, TokenParams } from '../../../schemas/users.js';
import { fromForm, submitForm, type Errors } from '../form.js';
import { redirect, render } from '../render.js';

const templates = { page: 'pages/account/tokens', partial: 'partials/account/tokens' };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    extra: { created?: unknown; values?: object; errors?: Errors },
    status = 200,
  ) {
    const tokens = await app.services.auth.listTokens(requireActor(request));
    return render(
      request,
      reply,
      templates,
      {
        title: 'API tokens',
        tokens,
        maxDays: app.config.tokenMaxDays,
        created: null,
        values: { name: '' },
        errors: {},
        ...extra,
      },
      status,
    );
  }

  app.get('/account/tokens', async (request, reply) => show(request, reply, {}));

  // The new token is in this response only: it is rendered, never redirected to.
  app.post(
    '/account/tokens',
    { schema: { body: CreateTokenBody }, attachValidation: true, preValidation: fromForm(CreateTokenBody) },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.auth.createToken(requireActor(request), request.authMethod, request.body),
        // The page shows the secret once: no cache (browser history, proxy) may keep a copy.
        done: (created) => show(request, reply.header('cache-control', 'no-store'), { created }, 201),
        again: (errors) => show(request, reply, { values: request.body, errors }, 422),
      }),
  );

  app.post('/account/tokens/:tokenId/revoke', { schema: { params: TokenParams } }, async (request, reply) => {
    await app.services.auth.revokeToken(requireActor(request), request.params.tokenId);
    if (request.htmx.partial) return show(request, reply, {});
    return redirect(request, reply, '/account/tokens');
  });
};

export default routes;
