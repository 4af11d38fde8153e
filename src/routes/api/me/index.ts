import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import { CreatedTokenSchema, CreateTokenBody, MeSchema, TokenList, TokenParams } from '../../../schemas/users.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags: ['auth'],
        summary: 'The current user and their site memberships',
        response: { 200: MeSchema, ...pickProblems(401) },
      },
    },
    async (request) => app.services.auth.me(requireActor(request)),
  );

  app.get(
    '/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Your API tokens (never the secret)',
        response: { 200: TokenList, ...pickProblems(401) },
      },
    },
    async (request) => ({ items: await app.services.auth.listTokens(requireActor(request)) }),
  );

  app.post(
    '/tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'Create an API token; the token is shown in this response only',
        description:
          "Only a signed-in session may create tokens: with a bearer token, 403 `SESSION_REQUIRED`. A token lives `expiresInDays`, at most and by default the server's maximum (TOKEN_MAX_DAYS, 365 unless set); more is 422.",
        body: CreateTokenBody,
        response: { 201: CreatedTokenSchema, ...pickProblems(400, 401, 403, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        // The secret is in this answer only: no cache (browser, proxy) may keep a copy.
        .header('cache-control', 'no-store')
        .send(await app.services.auth.createToken(requireActor(request), request.authMethod, request.body)),
  );

  app.delete(
    '/tokens/:tokenId',
    {
      schema: {
        tags: ['auth'],
        summary: 'Revoke an API token',
        params: TokenParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await app.services.auth.revokeToken(requireActor(request), request.params.tokenId);
      return reply.code(204).send(null);
    },
  );
};

export default routes;
