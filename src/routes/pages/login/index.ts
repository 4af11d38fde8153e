import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { LOGIN_RATE_LIMIT } from '../../../plugins/external/rate-limit.js';
import { redirect, render, safeNext } from '../render.js';

const templates = { page: 'pages/login/show', partial: 'partials/login/form' };
const Next = Type.Optional(Type.String({ maxLength: 2000 }));
/** The JSON login body's fields, plus where to go afterwards. */
const LoginForm = Type.Object(
  { email: Type.String({ maxLength: 254 }), password: Type.String({ maxLength: 256 }), next: Next },
  { additionalProperties: false },
);

const routes: FastifyPluginAsyncTypebox = async (app) => {
  // Shown only in demo mode, where these accounts exist by design.
  const demoPassword = app.config.demo ? app.config.demoPassword : null;
  app.get(
    '/login',
    { config: { public: true }, schema: { querystring: Type.Object({ next: Next }) } },
    async (request, reply) => {
      if (request.actor) return reply.redirect(safeNext(request.query.next), 303);
      return render(request, reply, templates, {
        next: safeNext(request.query.next),
        email: '',
        failed: false,
        demoPassword,
      });
    },
  );

  // The same per-address limit as POST /api/auth/login (counted apart: 30 a minute on each door).
  app.post(
    '/login',
    { config: { public: true, rateLimit: LOGIN_RATE_LIMIT }, schema: { body: LoginForm }, attachValidation: true },
    async (request, reply) => {
      if (request.validationError) {
        // A field over its limit (the inputs carry the same maxlength) or missing: no account can
        // match, so the form comes back with the same words as a wrong password.
        const sent = (request.body ?? {}) as Record<string, unknown>;
        const email = typeof sent.email === 'string' ? sent.email.slice(0, 254) : '';
        return render(
          request,
          reply,
          templates,
          {
            next: safeNext(typeof sent.next === 'string' && sent.next.length <= 2000 ? sent.next : undefined),
            email,
            failed: true,
            demoPassword,
          },
          422,
        );
      }
      const { email, password } = request.body;
      const next = safeNext(request.body.next);
      const user = await app.services.auth.login(email, password).catch((err: { statusCode?: number }) => {
        if (err.statusCode === 401) return null;
        throw err;
      });
      // Same words for every failure, like the API: nothing tells which part was wrong.
      if (!user) return render(request, reply, templates, { next, email, failed: true, demoPassword }, 401);
      // A new session id at sign-in defeats session fixation.
      await request.session.regenerate();
      request.session.userId = user.id;
      request.session.createdAt = Date.now();
      return redirect(request, reply, next);
    },
  );

  app.post('/logout', { config: { public: true } }, async (request, reply) => {
    const { userId } = request.session;
    if (userId) {
      await request.session.destroy();
      app.services.auth.signedOut(userId);
    }
    return redirect(request, reply, '/login');
  });
};

export default routes;
