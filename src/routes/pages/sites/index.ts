import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { SiteParams } from '../../../schemas/sites.js';
import { render } from '../render.js';

/** Sites on /sites and devices on a site page; past that the page says so (search narrows the sites). */
const SHOWN = 200;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sites',
    { schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 120 })) }) } },
    async (request, reply) => {
      const q = request.query.q?.trim() ?? '';
      const { items, nextCursor } = await app.services.dashboards.sites(requireActor(request), {
        q: q || undefined,
        limit: SHOWN,
      });
      return render(
        request,
        reply,
        { page: 'pages/sites/index', partial: 'partials/sites/list' },
        { title: 'Your sites', sites: items, q, more: nextCursor !== null, shown: SHOWN },
      );
    },
  );

  // The device list polls this URL every 10 s (htmx), so the values on screen stay current.
  // `?done=device-deleted`: set by the device's delete form, which lands here.
  const SitePageQuery = Type.Object({ done: Type.Optional(Type.Literal('device-deleted')) });
  app.get('/sites/:siteId', { schema: { params: SiteParams, querystring: SitePageQuery } }, async (request, reply) => {
    const page = await app.services.dashboards.site(requireActor(request), request.params.siteId, SHOWN);
    const done = request.query.done ? 'The device is deleted, with its metrics and readings.' : null;
    const data = { title: page.site.name, ...page, shown: SHOWN, done, now: new Date().toISOString() };
    return render(request, reply, { page: 'pages/sites/show', partial: 'partials/sites/devices' }, data);
  });
};

export default routes;
