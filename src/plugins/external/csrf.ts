import csrf from '@fastify/csrf-protection';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface Session {
    /** The CSRF secret; tokens handed to pages are derived from it. */
    _csrf?: string;
  }
  interface FastifyReply {
    /** The CSRF token for the forms of this answer (see the plugin below). */
    formToken(): string;
  }
}

/** The anonymous visitor's random value that the sign-in form's token is bound to. */
export const FORM_COOKIE = 'sitewatt.form';
const NONCE = /^[A-Za-z0-9_-]{24}$/;
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF tokens. Every state-changing request in the scope this is registered in must carry one, as
 * the `_csrf` form field or the `x-csrf-token` header (htmx requests; see public/app.js). Checked in
 * preValidation because the form body is parsed by then; the field is then removed so the body
 * matches the JSON schema.
 *
 * Signed in: bound to the session (synchronizer token, https://github.com/fastify/csrf-protection).
 * Not signed in (the sign-in form): a session would have to be stored for every page view, so the
 * token is an HMAC of a random value in a `SameSite=Strict`, HttpOnly cookie (signed double-submit
 * cookie): another site can neither read the cookie nor make a browser send it along a cross-site
 * POST, and cannot make a token for a value of its own without the server's secret.
 */
export default fp(
  async (app) => {
    await app.register(csrf, { sessionPlugin: '@fastify/session' });
    const key = createHmac('sha256', app.config.sessionSecret).update('sitewatt sign-in form').digest();
    const tokenFor = (nonce: string) => createHmac('sha256', key).update(nonce).digest('base64url');
    /** The value a response set, so one answer hands out one token however often it asks. */
    const issued = new WeakMap<FastifyRequest, string>();
    const sentNonce = (request: FastifyRequest) => {
      const sent = request.cookies[FORM_COOKIE];
      return typeof sent === 'string' && NONCE.test(sent) ? sent : null;
    };

    app.decorateReply('formToken', function (this: FastifyReply) {
      const request = this.request;
      if (request.session.userId) return this.generateCsrf();
      let nonce = issued.get(request) ?? sentNonce(request);
      if (!nonce) {
        nonce = randomBytes(18).toString('base64url');
        // Path /login: the only form an anonymous visitor can send.
        this.setCookie(FORM_COOKIE, nonce, {
          path: '/login',
          httpOnly: true,
          sameSite: 'strict',
          secure: app.config.cookieSecure,
        });
      }
      issued.set(request, nonce);
      return tokenFor(nonce);
    });

    /** Whether an anonymous request carries the token of its form cookie. */
    function anonymousValid(request: FastifyRequest): boolean {
      const nonce = sentNonce(request);
      const body = request.body as Record<string, unknown> | undefined;
      const sent = (body && typeof body === 'object' ? body._csrf : undefined) ?? request.headers['x-csrf-token'];
      if (!nonce || typeof sent !== 'string') return false;
      const [a, b] = [Buffer.from(sent), Buffer.from(tokenFor(nonce))];
      return a.length === b.length && timingSafeEqual(a, b);
    }

    app.addHook('preValidation', (request, reply, done) => {
      if (SAFE.has(request.method)) return done();
      if (!request.session.userId && anonymousValid(request)) {
        stripToken(request);
        return done();
      }
      // Anything else is the session's to decide; a session with no secret refuses (403).
      app.csrfProtection.call(app, request, reply, (err?: Error) => {
        stripToken(request);
        done(err);
      });
    });
  },
  { name: 'csrf', dependencies: ['session'] },
);

function stripToken(request: FastifyRequest) {
  const body = request.body;
  if (body && typeof body === 'object' && '_csrf' in body) delete (body as Record<string, unknown>)._csrf;
}
