import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { errors } from '../../errors.js';
import { INGEST_KEY_PREFIX } from '../../services/auth.js';
import type { Actor, AuthMethod, IngestPrincipal } from '../../services/policy.js';
import type { Credential } from '../../services/streams.js';
import { outlived, SESSION_COOKIE, touchDue } from '../external/session.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor | null;
    /** How the actor was authenticated. */
    authMethod: AuthMethod | null;
    /** Reads this request's credential again, for what outlives the request (a live stream). */
    credential: Credential | null;
    /** The field device's ingest key that authenticated the request (telemetry routes only). */
    ingestKey: IngestPrincipal | null;
  }
  interface FastifyContextConfig {
    /** Accepts an ingest key: telemetry routes. Everywhere else a key is refused with 401. */
    ingest?: boolean;
  }
}

/**
 * Resolves the acting user from a bearer token (API only) or the session cookie.
 * An invalid bearer token is an error (401), never a silent fall-back to the cookie.
 * Routes outside the pages and the API (health, metrics, docs, assets) have no acting user.
 */
export default fp(
  async (app) => {
    app.decorateRequest('actor', null);
    app.decorateRequest('authMethod', null);
    app.decorateRequest('credential', null);
    app.decorateRequest('ingestKey', null);
    // Before validation, so an anonymous request is a 401 whatever its body (and never a 422 first).
    app.addHook('preValidation', async (request, reply) => {
      // The route's pattern where there is one: `/%61pi/me` is routed to /api/me too.
      const api = (request.routeOptions.url ?? request.url).startsWith('/api/');
      const header = request.headers.authorization;
      if (header !== undefined && api) {
        const raw = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
        if (raw?.startsWith(INGEST_KEY_PREFIX)) {
          // A device's key writes telemetry and nothing else: any other route refuses it unread.
          if (request.routeOptions.config.ingest !== true) throw new errors.UNAUTHENTICATED();
          request.ingestKey = await app.services.auth.ingestKeyFor(raw);
          if (!request.ingestKey) throw new errors.UNAUTHENTICATED();
          return;
        }
        request.actor = raw ? await app.services.auth.actorForToken(raw) : null;
        if (!raw || !request.actor) throw new errors.UNAUTHENTICATED();
        request.authMethod = 'token';
        request.credential = () => app.services.auth.actorForToken(raw);
        return;
      }
      if (request.session) return bySession(request);
      if (api) return byApiSession(request, reply);
    });

    /** Pages and /api/auth, where @fastify/session runs (src/plugins/external/session.ts). */
    async function bySession(request: FastifyRequest) {
      const { userId, createdAt } = request.session;
      if (!userId) return;
      if (outlived(createdAt, Date.now())) {
        // regenerate, not destroy: destroy leaves request.session null, and CSRF or sign-in then fails.
        await request.session.regenerate();
        return;
      }
      request.actor = await app.services.auth.loadActor(userId);
      if (!request.actor) return request.session.regenerate();
      request.authMethod = 'session';
      request.credential = sessionCredential(request.cookies[SESSION_COOKIE]);
      const now = Date.now();
      if (touchDue(request.session.touchedAt, now)) {
        request.session.touch();
        request.session.touchedAt = now; // modified: saved and the cookie re-sent with the new expiry
      }
    }

    /**
     * The rest of the API: the same cookie and rows, read without @fastify/session. A session past
     * its lifetime or of a deactivated user is simply not signed in (its row expires or is gone).
     */
    async function byApiSession(request: FastifyRequest, reply: FastifyReply) {
      const sent = request.cookies[SESSION_COOKIE];
      if (!sent) return;
      const session = await app.apiSessions.read(sent);
      // Set as a header, not with reply.setCookie: a live stream hijacks its reply and copies the
      // headers set so far, and @fastify/cookie's onSend hook never runs for it.
      if (!session) return void reply.header('set-cookie', app.apiSessions.clear);
      const { userId, createdAt } = session.data;
      const now = Date.now();
      if (!userId || outlived(createdAt, now)) return;
      request.actor = await app.services.auth.loadActor(userId);
      if (!request.actor) return;
      request.authMethod = 'session';
      request.credential = sessionCredential(sent);
      if (touchDue(session.data.touchedAt, now)) {
        const cookie = await app.apiSessions.touch(session, now, request.protocol === 'https');
        if (cookie) reply.header('set-cookie', cookie);
      }
    }

    /**
     * The session behind a cookie, read again from its row under the same rules as above: gone once
     * signed out, past its idle expiry (the row's) or its lifetime, or its user deactivated.
     */
    function sessionCredential(cookie: string | undefined): Credential {
      return async () => {
        const session = await app.apiSessions.read(cookie);
        const userId = session?.data.userId;
        if (!userId || outlived(session.data.createdAt, Date.now())) return null;
        return app.services.auth.loadActor(userId);
      };
    }
  },
  { name: 'auth', dependencies: ['database', 'session'] },
);

/** Who writes telemetry: a device's ingest key or a person; else a 401. */
export function requireWriter(request: FastifyRequest): Actor | IngestPrincipal {
  return request.ingestKey ?? requireActor(request);
}

/** The authenticated actor, or a 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new errors.UNAUTHENTICATED();
  return request.actor;
}
