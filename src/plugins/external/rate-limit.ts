import rateLimit, { type FastifyRateLimitStore } from '@fastify/rate-limit';
import type { FastifyError, FastifyReply, FastifyRequest, onErrorHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The plugin's own answer ("Rate limit exceeded, retry in …", 429), made without a stack trace:
 * capturing one for every refused request is a visible share of a 429 under a sign-in storm,
 * and nobody reads it (4xx are not logged with a stack).
 */
function tooManyRequests(_request: FastifyRequest, context: { after: string; statusCode: number }) {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return Object.assign(new Error(`Rate limit exceeded, retry in ${context.after}`), {
      statusCode: context.statusCode,
    });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** How long a refused sign-in (429) is held before it is answered. */
export const REFUSAL_HOLD_MS = 1_000;
/** Refusals held at once, at most; past it they are answered at once (each held one keeps a socket). */
export const MAX_HELD_REFUSALS = 1_000;

/**
 * Off by default; routes opt in with `config.rateLimit` (sign-in), a stricter limit on top of every
 * route's budget (src/plugins/app/rate-limits.ts). Keyed by client address, which is the proxy's
 * unless TRUST_PROXY is set. https://github.com/fastify/fastify-rate-limit
 *
 * On those routes every 429 (this limit, the per-account throttle, the full argon2 queue) is
 * answered only after REFUSAL_HOLD_MS. A refusal is cheap, so a client that ignores Retry-After
 * and asks again at once would otherwise get thousands a second and take the event loop's turns
 * from everyone else: a few dozen such connections starve the API (docs/performance.md, P7).
 * Held, each of its connections asks at most once a second, up to `maxHeld` connections. A person
 * who is refused waits one second more to read it.
 */
/** Counts shared by the nodes of a cluster: how many requests `key` made in a window, this one included. */
interface SharedCounts {
  hit(key: string, windowStart: number): number | Promise<number>;
}

type StoreCallback = (err: Error | null, res?: { current: number; ttl: number }) => void;

/**
 * The plugin's store over counts that every node shares (PostgreSQL), in fixed windows: an address
 * gets its attempts once across the cluster, not once per node. Each route counts on its own, as
 * the plugin's own store does (its `child` per route).
 */
function sharedStore(counts: SharedCounts) {
  return class SharedStore {
    /** The route this store counts for (the plugin makes the first one with its options, then a child per route). */
    route = '';
    incr(key: string, cb: StoreCallback, timeWindow: number) {
      const now = Date.now();
      const windowStart = Math.floor(now / timeWindow) * timeWindow;
      Promise.resolve(counts.hit(`${this.route} ${key}`, windowStart)).then(
        (current) => cb(null, { current, ttl: windowStart + timeWindow - now }),
        (err: Error) => cb(err),
      );
    }
    child(params: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin passes its merged options with the route under `routeInfo` (its typings say the route).
      const route: { method?: unknown; url?: string } = (params as { routeInfo?: typeof params }).routeInfo ?? params;
      const { method = '', url = '' } = route;
      const store = new SharedStore();
      store.route = `${String(method)} ${url}`;
      return store;
    }
  };
}

export default fp(
  async (app, opts: { holdMs?: number; maxHeld?: number; shared?: SharedCounts } = {}) => {
    const { holdMs = REFUSAL_HOLD_MS, maxHeld = MAX_HELD_REFUSALS } = opts;
    await app.register(rateLimit, {
      global: false,
      errorResponseBuilder: tooManyRequests,
      ...(opts.shared ? { store: sharedStore(opts.shared) } : {}),
    });
    let held = 0;
    const holdRefusal = async (_request: FastifyRequest, reply: FastifyReply, error: FastifyError) => {
      if ((error.statusCode ?? reply.statusCode) !== 429 || held >= maxHeld) return;
      held++;
      try {
        await sleep(holdMs);
      } finally {
        held--;
      }
    };
    app.addHook('onRoute', (route) => {
      if (!route.config?.rateLimit) return;
      const own = route.onError === undefined ? [] : Array.isArray(route.onError) ? route.onError : [route.onError];
      route.onError = [...own, holdRefusal as onErrorHookHandler];
    });
  },
  { name: 'rate-limit' },
);

/** Sign-in attempts per client address. */
export const LOGIN_RATE_LIMIT = { max: 30, timeWindow: '1 minute' };
