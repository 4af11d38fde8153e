import { join } from 'node:path';
import view from '@fastify/view';
import { Eta } from 'eta';
import fp from 'fastify-plugin';
import { projectRoot } from '../../paths.js';

/**
 * Eta templates from views/ (layouts, pages, partials, errors). Pages call layout() themselves,
 * so there is no global layout; `<%= %>` escapes, and `<%~ %>` is kept for trusted partial output.
 * https://eta.js.org/docs/intro/template-syntax
 */
export default fp(
  async (app, opts: { production: boolean }) => {
    const eta = new Eta({ autoEscape: true, autoTrim: false, cache: opts.production });
    await app.register(view, {
      engine: { eta },
      root: join(projectRoot(), 'views'),
      production: opts.production,
      viewExt: 'eta',
    });
  },
  { name: 'view' },
);
