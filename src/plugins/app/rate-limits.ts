import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import fp from 'fastify-plugin';
import { overQuota, type DetailedError } from '../../errors.js';
import { policy, windowStart, type RateLimitPolicy, type RateLimitStore } from '../../services/rate-limits.js';

/** What a route is counted under: its caller's principal, else the client address. */
interface RouteLimits {
  byPrincipal: RateLimitPolicy | null;
  byAddress: RateLimitPolicy;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for every route at registration (onRoute below): null on exempt routes; absent without a route. */
    limits?: RouteLimits | null;
  }
  interface FastifyInstance {
    rateLimits: Limiter;
  }
}

export interface RateLimitOptions {
  /** Requests per window for each principal. */
  perPrincipal: number;
  /** Requests per window for each client address without a principal (and health checks, ten times). */
  perAddress: number;
  windowSeconds: number;
  /** A policy's shared counts (the nodes of a cluster); undefined: this process counts in memory. */
  storeFor?: (policy: string) => RateLimitStore | undefined;
}

/**
 * Who a request is counted against, one function per kind of principal, tried in order; a request
 * none of them knows is counted by its client address. A new kind (an ingest key) is one more entry
 * returning its own id (ids carry a type prefix, so keys of different kinds never collide).
 */
const PRINCIPALS: readonly ((request: FastifyRequest) => string | null | undefined)[] = [
  // A user, by session or by any of their tokens: one budget, so minting tokens does not multiply it.
  (request) => request.actor?.id,
  // A field device's ingest key: its own budget, whoever else sends for the site.
  (request) => request.ingestKey?.keyId,
];

function principalOf(request: FastifyRequest): string | null {
  for (const kind of PRINCIPALS) {
    const key = kind(request);
    if (key) return key;
  }
  return null;
}

/** Files (our assets, the vendored builds, Swagger UI's) are not counted: a page load fetches several. */
const EXEMPT = /^\/(assets\/|docs\/static)/;
/** Probes and scrapes are counted per address, in their own generous budget. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** Sets the RateLimit headers; the refusal when the request is over its quota. */
function settle(p: RateLimitPolicy, used: number, start: number, now: number, reply: FastifyReply) {
  const reset = Math.max(1, Math.ceil((start + p.windowSeconds * 1000 - now) / 1000));
  reply.header('ratelimit-policy', p.header);
  reply.header('ratelimit', `"${p.name}";r=${used > p.quota ? 0 : p.quota - used};t=${reset}`);
  return used > p.quota ? overQuota(p.quota, p.windowSeconds, p.per, reset) : undefined;
}

/** Counts a request; calls `done` with the refusal, if any. No closure unless the store is asynchronous. */
function count(request: FastifyRequest, reply: FastifyReply, limits: RouteLimits, done: HookHandlerDoneFunction) {
  const principal = limits.byPrincipal === null ? null : principalOf(request);
  const p = principal === null ? limits.byAddress : limits.byPrincipal!;
  const now = Date.now();
  const start = windowStart(p, now);
  const used = p.store.hit(principal ?? request.ip, start);
  if (typeof used === 'number') return done(settle(p, used, start, now, reply));
  used.then((n) => done(settle(p, n, start, now, reply)), done);
}

/**
 * A route's own first preValidation hook: after authentication (so the principal is known) and the
 * scope's checks, before validation and the handler. One hook per set of limits, made at start-up.
 */
const hookFor = (limits: RouteLimits) =>
  function limit(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) {
    count(request, reply, limits, done);
  };

/**
 * For the error handlers: a request that failed before the limiter's hook (a malformed URL or body,
 * a body too large, an invalid bearer token) or found no route is counted now, as on any route;
 * over the quota, the answer is the 429 instead, so such requests cannot be sent without limit either.
 */
function countMissed(this: Limiter, request: FastifyRequest, reply: FastifyReply): Promise<DetailedError | undefined> {
  const limits = request.routeOptions.config?.limits;
  if (limits === null || reply.hasHeader('ratelimit')) return Promise.resolve(undefined);
  return new Promise((resolve) =>
    count(request, reply, limits ?? this.unrouted, (err) => resolve(err as DetailedError | undefined)),
  );
}

interface Limiter {
  /** Limits of requests without a route (unknown paths, malformed URLs). */
  unrouted: RouteLimits;
  countMissed: typeof countMissed;
}

/**
 * Budgets on every route (src/services/rate-limits.ts): each principal `perPrincipal` requests a
 * window ("default"), each address without one `perAddress` ("anonymous"), probes ten times that
 * per address ("health"); files are exempt. Answers carry RateLimit-Policy and RateLimit; a request
 * over its quota gets 429 problem+json with Retry-After. Registered after auth and before any route.
 */
export default fp(
  async (app, opts: RateLimitOptions) => {
    const { perPrincipal, perAddress, windowSeconds, storeFor = () => undefined } = opts;
    const standard: RouteLimits = {
      byPrincipal: policy('default', perPrincipal, windowSeconds, 'user', storeFor('default')),
      byAddress: policy('anonymous', perAddress, windowSeconds, 'client address', storeFor('anonymous')),
    };
    const probes: RouteLimits = {
      byPrincipal: null,
      byAddress: policy('health', perAddress * 10, windowSeconds, 'client address', storeFor('health')),
    };
    const standardHook = hookFor(standard);
    const probesHook = hookFor(probes);
    app.addHook('onRoute', (route) => {
      const limits = EXEMPT.test(route.url) ? null : PROBES.has(route.url) ? probes : standard;
      route.config = { ...route.config, limits };
      if (limits === null) return;
      const own = route.preValidation === undefined ? [] : [route.preValidation].flat();
      route.preValidation = [limits === probes ? probesHook : standardHook, ...own];
    });
    app.decorate('rateLimits', { unrouted: standard, countMissed } satisfies Limiter);
  },
  { name: 'rate-limits', dependencies: ['auth'] },
);
