import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../../errors.js';
import type { Actor } from '../../services/policy.js';
import { ABSOLUTE_TIMEOUT_MS, TOUCH_EVERY_MS } from '../external/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** How the actor was authenticated. */
    authMethod: 'session' | 'token' | null;
  }
}

/**
 * Resolves the acting user from a bearer token (API only) or the session cookie.
 * An invalid bearer token is an error (401), never a silent fall-back to the cookie.
 */
export default fp(
  async (app) => {
    app.decorateRequest('actor', null);
    app.decorateRequest('authMethod', null);
    // Before validation, so an anonymous request is a 401 whatever its body (and never a 422 first).
    app.addHook('preValidation', async (request) => {
      const header = request.headers.authorization;
      if (header !== undefined && request.url.startsWith('/api/')) {
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        const userId = match ? await app.services.auth.resolveToken(match[1]) : null;
        request.actor = userId ? await app.services.auth.loadActor(userId) : null;
        if (!request.actor) throw new errors.UNAUTHENTICATED();
        request.authMethod = 'token';
        return;
      }
      const { userId, createdAt } = request.session;
      if (!userId) return;
      if (!createdAt || Date.now() - createdAt > ABSOLUTE_TIMEOUT_MS) {
        // regenerate, not destroy: destroy leaves request.session null, and CSRF or sign-in then fails.
        await request.session.regenerate();
        return;
      }
      request.actor = await app.services.auth.loadActor(userId);
      if (!request.actor) return request.session.regenerate();
      request.authMethod = 'session';
      const now = Date.now();
      if (now - (request.session.touchedAt ?? 0) >= TOUCH_EVERY_MS) {
        request.session.touch();
        request.session.touchedAt = now; // modified: saved and the cookie re-sent with the new expiry
      }
    });
  },
  { name: 'auth', dependencies: ['database', 'session'] },
);

/** The authenticated actor, or a 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new errors.UNAUTHENTICATED();
  return request.actor;
}
