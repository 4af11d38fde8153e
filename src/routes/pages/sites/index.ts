import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { SiteParams } from '../../../schemas/sites.js';
import { canManageDevices } from '../../../services/policy.js';
import { actorOf, render } from '../render.js';
import { byDevice, summarize } from './summary.js';

/** Sites on /sites and devices on a site page; past that the page says so (search narrows the sites). */
const SHOWN = 200;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/sites',
    { schema: { querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 120 })) }) } },
    async (request, reply) => {
      const actor = actorOf(request);
      const q = request.query.q?.trim() ?? '';
      const { items, nextCursor } = await app.services.sites.list(actor, { q: q || undefined, limit: SHOWN });
      const sites = await Promise.all(
        items.map(async (site) => ({
          ...site,
          summary: summarize(await app.services.metrics.siteLatest(actor, site.id)),
        })),
      );
      return render(
        request,
        reply,
        { page: 'pages/sites/index', partial: 'partials/sites/list' },
        { title: 'Your sites', sites, q, more: nextCursor !== null, shown: SHOWN },
      );
    },
  );

  // The device list polls this URL every 10 s (htmx), so the values on screen stay current.
  // `?done=device-deleted`: set by the device's delete form, which lands here.
  const SitePageQuery = Type.Object({ done: Type.Optional(Type.Literal('device-deleted')) });
  app.get('/sites/:siteId', { schema: { params: SiteParams, querystring: SitePageQuery } }, async (request, reply) => {
    const actor = actorOf(request);
    const site = await app.services.sites.get(actor, request.params.siteId);
    const [devices, metrics] = await Promise.all([
      app.services.devices.list(actor, site.id, { limit: SHOWN }),
      app.services.metrics.siteLatest(actor, site.id),
    ]);
    const grouped = byDevice(metrics);
    const data = {
      title: site.name,
      site,
      canEdit: canManageDevices(actor, site.id),
      devices: devices.items.map((d) => Object.assign(d, { metrics: grouped.get(d.id) ?? [] })), // not spread: see siteLatest
      summary: summarize(metrics),
      moreDevices: devices.nextCursor !== null,
      shown: SHOWN,
      done: request.query.done ? 'The device is deleted, with its metrics and readings.' : null,
      now: new Date().toISOString(),
    };
    return render(request, reply, { page: 'pages/sites/show', partial: 'partials/sites/devices' }, data);
  });
};

export default routes;
