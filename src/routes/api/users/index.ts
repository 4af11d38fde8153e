import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, PageOf, PageQuery, pickProblems } from '../../../schemas/common.js';
import {
  CreateUserBody,
  TokenList,
  UpdateUserBody,
  UserParams,
  UserSchema,
  UserTokenParams,
} from '../../../schemas/users.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags: ['users'],
        summary: 'List users (admins)',
        querystring: PageQuery,
        response: { 200: PageOf(UserSchema), ...pickProblems(400, 401, 403) },
      },
    },
    async (request) => app.services.users.list(requireActor(request), request.query),
  );

  app.post(
    '',
    {
      schema: {
        tags: ['users'],
        summary: 'Create a user (admins)',
        body: CreateUserBody,
        response: { 201: UserSchema, ...pickProblems(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const user = await app.services.users.create(requireActor(request), request.body);
      return reply.code(201).header('location', `/api/users/${user.id}`).send(user);
    },
  );

  app.patch(
    '/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Change, deactivate or reset the password of a user (admins)',
        description:
          'Deactivating a user or setting their password ends all their sessions and revokes all their API tokens; reactivating brings none back.',
        params: UserParams,
        body: UpdateUserBody,
        response: { 200: UserSchema, ...pickProblems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => app.services.users.update(requireActor(request), request.params.userId, request.body),
  );

  app.delete(
    '/:userId',
    {
      schema: {
        tags: ['users'],
        summary: 'Delete a user (admins)',
        params: UserParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      await app.services.users.delete(requireActor(request), request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:userId/tokens',
    {
      schema: {
        tags: ['users'],
        summary: "A user's API tokens (admins; never the secret)",
        params: UserParams,
        response: { 200: TokenList, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) => ({
      items: await app.services.auth.listTokensOf(requireActor(request), request.params.userId),
    }),
  );

  app.delete(
    '/:userId/tokens/:tokenId',
    {
      schema: {
        tags: ['users'],
        summary: "Revoke a user's API token (admins)",
        params: UserTokenParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { userId, tokenId } = request.params;
      await app.services.auth.revokeTokenOf(requireActor(request), userId, tokenId);
      return reply.code(204).send(null);
    },
  );
};

export default routes;
