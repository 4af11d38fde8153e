import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';
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
    const common = { maxAge: '1h', index: false, wildcard: true } as const;
    await app.register(fastifyStatic, { ...common, root: join(root, 'public'), prefix: '/assets/' });
    const vendor = [
      {
        prefix: '/assets/vendor/htmx/',
        root: join(modules, 'htmx.org/dist'),
        allowedPath: (p: string) => p === '/htmx.min.js',
      },
      {
        prefix: '/assets/vendor/uplot/',
        root: join(modules, 'uplot/dist'),
        allowedPath: (p: string) => p === '/uPlot.iife.min.js' || p === '/uPlot.min.css',
      },
      {
        prefix: '/assets/vendor/pico/',
        root: join(modules, '@picocss/pico/css'),
        allowedPath: (p: string) => p === '/pico.min.css',
      },
    ];
    // Only the first registration decorates reply.sendFile.
    for (const v of vendor) await app.register(fastifyStatic, { ...common, ...v, decorateReply: false });
  },
  { name: 'static' },
);
