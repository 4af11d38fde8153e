import csrf from '@fastify/csrf-protection';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface Session {
    /** The CSRF secret; tokens handed to pages are derived from it. */
    _csrf?: string;
  }
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF tokens bound to the session (synchronizer token). Every state-changing request in the
 * scope this is registered in must carry the token, as the `_csrf` form field or the
 * `x-csrf-token` header (htmx requests; see public/app.js). Checked in preValidation because
 * the form body is parsed by then; the field is then removed so the body matches the JSON schema.
 * https://github.com/fastify/csrf-protection
 */
export default fp(
  async (app) => {
    await app.register(csrf, { sessionPlugin: '@fastify/session' });
    app.addHook('preValidation', (request, reply, done) => {
      if (SAFE.has(request.method)) return done();
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
