// Every route the app registers, read from Fastify itself rather than from a hand-kept list.
//
// An `onRoute` hook on the root instance, installed before buildApp registers anything, through the
// `fastify.initialization` diagnostics channel Fastify publishes when an instance is created
// (https://fastify.dev/docs/latest/Reference/Hooks/#diagnostics-channel-hooks). Hooks of the root are
// inherited by every plugin, so it sees every route with its method and URL pattern.
//
// The one route Fastify adds without running onRoute: for a `/` route under a prefix it also adds the
// trailing-slash twin `prefix + '/'` (fastify lib/route.js, addNewRoute with `prefixing: true`; every
// other path to `router.on` runs the hooks). So for each seen URL the router is asked whether that twin
// exists, and it is enumerated too (GET /docs/ and GET // today). printRoutes() is no use as a
// cross-check: its tree print merges the four /assets wildcards into one line.
import diagnostics from 'node:diagnostics_channel';
import type { FastifyInstance, HTTPMethods, RouteOptions } from 'fastify';
import { buildApp, type App } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';

export interface RegisteredRoute {
  method: string;
  url: string;
  /** `METHOD /url/:pattern`: the key of the declarations table. */
  key: string;
  /** `twin`: the trailing-slash route Fastify adds without running onRoute. */
  source: 'onRoute' | 'twin';
}

/** Builds an app with an onRoute hook attached before any plugin registers a route. */
export async function buildAppCollectingRoutes(
  config: Config,
): Promise<{ app: App; seen: Set<string>; queries: Map<string, string[]> }> {
  const seen = new Set<string>();
  /** The query parameters each route's schema declares, by `METHOD /url`. */
  const queries = new Map<string, string[]>();
  const channel = diagnostics.channel('fastify.initialization');
  const attach = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook('onRoute', (route: RouteOptions) => {
      const query = (route.schema?.querystring as { properties?: object } | undefined)?.properties ?? {};
      for (const method of [route.method].flat()) {
        seen.add(`${method} ${route.url}`);
        queries.set(`${method} ${route.url}`, Object.keys(query));
      }
    });
  };
  channel.subscribe(attach);
  try {
    const app = await buildApp(config);
    await app.ready();
    return { app, seen, queries };
  } finally {
    channel.unsubscribe(attach);
  }
}

/** All routes of a freshly built app; HEAD twins of GET routes are left out (Fastify adds them). */
export async function registeredRoutes(): Promise<RegisteredRoute[]> {
  const { app, seen } = await buildAppCollectingRoutes(testConfig());
  try {
    const twins = [...seen]
      .filter((key) => !key.endsWith('*'))
      .map((key) => `${key}/`)
      .filter((key) => {
        const [method, url] = split(key);
        return !seen.has(key) && app.hasRoute({ method: method as HTTPMethods, url });
      });
    const all = new Set([...seen, ...twins]);
    return [...all]
      .filter((key) => {
        const [method, url] = split(key);
        return !(method === 'HEAD' && all.has(`GET ${url}`));
      })
      .sort()
      .map((key) => {
        const [method, url] = split(key);
        return { method, url, key, source: seen.has(key) ? 'onRoute' : 'twin' };
      });
  } finally {
    await app.close();
  }
}

function split(key: string): [string, string] {
  const i = key.indexOf(' ');
  return [key.slice(0, i), key.slice(i + 1)];
}
