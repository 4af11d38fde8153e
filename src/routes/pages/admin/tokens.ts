// A user's API tokens, for admins: what scripts acting as that user hold, and revoking them.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { UserParams, UserTokenParams } from '../../../schemas/users.js';
import { requireActor } from '../../../plugins/app/auth.js';
import { submitForm } from '../form.js';
import { render } from '../render.js';

const templates = { page: 'pages/admin/user-tokens', partial: 'partials/admin/user-tokens' };
const TokensQuery = Type.Object({ done: Type.Optional(Type.Literal('revoked')) });
/** Fixed words only: the query says what happened, never how to say it. */
const REVOKED = 'The token is revoked: scripts using it get 401 from now on.';
const ALREADY_GONE = 'That token no longer exists: it was revoked or expired meanwhile.';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    userId: string,
    notice: string | null,
    status = 200,
  ) {
    const actor = requireActor(request);
    const tokens = await app.services.auth.listTokensOf(actor, userId); // admins only: 403 otherwise, 404 for no one
    const user = await app.services.users.find(actor, userId);
    if (!user) throw new errors.USER_NOT_FOUND();
    return render(request, reply, templates, { title: `API tokens of ${user.name}`, user, tokens, notice }, status);
  }

  app.get(
    '/admin/users/:userId/tokens',
    { schema: { params: UserParams, querystring: TokensQuery } },
    async (request, reply) =>
      show(request, reply, request.params.userId, request.query.done === 'revoked' ? REVOKED : null),
  );

  app.post(
    '/admin/users/:userId/tokens/:tokenId/revoke',
    { schema: { params: UserTokenParams } },
    async (request, reply) => {
      const { userId, tokenId } = request.params;
      return submitForm(request, reply, {
        run: () => app.services.auth.revokeTokenOf(requireActor(request), userId, tokenId),
        done: () =>
          request.htmx.partial ? show(request, reply, userId, REVOKED) : `/admin/users/${userId}/tokens?done=revoked`,
        // A stale page (revoked in another tab, or expired and pruned): the list again, saying so.
        refused: (err) =>
          err instanceof errors.TOKEN_NOT_FOUND ? show(request, reply, userId, ALREADY_GONE, 409) : undefined,
      });
    },
  );
};

export default routes;
