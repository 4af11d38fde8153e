import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
import { errors } from '../../errors.js';
import { projectRoot } from '../../paths.js';

/**
 * Our own assets under /assets/, and the pinned htmx, uPlot and Pico builds from node_modules
 * at our own origin (never a CDN: the CSP allows 'self' only, and the versions are the lockfile's).
 */
export default fp(
  async (app) => {
    const root = projectRoot();
    const modules = join(root, 'node_modules');
    // wildcard: one route per prefix; `false` would walk every file of the folder at boot.
    const common = { maxAge: '1h', index: false, wildcard: true, decorateReply: false } as const;
    const vendor = [
      { prefix: '/vendor/htmx/', root: join(modules, 'htmx.org/dist'), allowedPath: (p: string) => p === '/htmx.min.js' },
      { prefix: '/vendor/uplot/', root: join(modules, 'uplot/dist'), allowedPath: (p: string) => p === '/uPlot.iife.min.js' || p === '/uPlot.min.css' },
      { prefix: '/vendor/pico/', root: join(modules, '@picocss/pico/css'), allowedPath: (p: string) => p === '/pico.min.css' },
    ];
    // A scope of their own with its own 404: a missing asset is a problem+json 404 (the root's error
    // handler), not the pages' HTML error page (whose handler, reached from here, has no CSRF token).
    await app.register(
      async (assets) => {
        assets.setNotFoundHandler(async () => {
          throw new errors.NOT_FOUND();
        });
        await assets.register(fastifyStatic, { ...common, root: join(root, 'public'), prefix: '/' });
        for (const v of vendor) await assets.register(fastifyStatic, { ...common, ...v });
      },
      { prefix: '/assets' },
    );
  },
  { name: 'static' },
);
