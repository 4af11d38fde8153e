import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { LOGIN_RATE_LIMIT } from '../../../plugins/external/rate-limit.js';
import { sessionScope } from '../../../plugins/external/session.js';
import { NoContent, pickProblems } from '../../../schemas/common.js';
import { LoginBody, LogoutBody, UserSchema } from '../../../schemas/users.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  // Signing in and out create and destroy sessions: @fastify/session runs here, unlike in the rest
  // of the API, which only reads the cookie (src/plugins/external/session.ts).
  await app.register(sessionScope);
  app.post(
    '/login',
    {
      config: { rateLimit: LOGIN_RATE_LIMIT, public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign in with email and password; sets the session cookie',
        description:
          'At most 30 attempts a minute per client address and 20 failures per 15 minutes per account; past either, 429 with Retry-After, answered after a one-second hold.',
        security: [],
        body: LoginBody,
        response: { 200: Type.Object({ user: UserSchema }), ...pickProblems(400, 401, 422, 429) },
      },
    },
    async (request) => {
      const user = await app.services.auth.login(request.body.email, request.body.password);
      // A new session id at sign-in defeats session fixation.
      await request.session.regenerate();
      request.session.userId = user.id;
      request.session.createdAt = Date.now();
      return { user };
    },
  );

  app.post(
    '/logout',
    {
      config: { public: true },
      schema: {
        tags: ['auth'],
        summary: 'Sign out: the session is destroyed on the server',
        description:
          'The body is an empty JSON object (`{}`, Content-Type: application/json): a JSON request is one another site cannot make with the session cookie without a CORS preflight, which Sitewatt never grants.',
        body: LogoutBody,
        response: { 204: NoContent, ...pickProblems(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const { userId } = request.session;
      if (userId) {
        await request.session.destroy();
        app.services.auth.signedOut(userId);
      }
      return reply.code(204).send(null);
    },
  );
};

export default routes;
