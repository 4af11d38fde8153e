import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { SiteParams } from '../../../schemas/sites.js';
import { render } from '../render.js';
import { ROLE_FIELD } from '../../../services/energy.js';
import { energyBars, SUPPLY, USE } from './bars.js';
import { energyFlows, flowDiagram, flowNodes } from './flow.js';

/** A site's energy: the last 30 days and 12 months as bars, today's balance and ratios as numbers. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/sites/:siteId/energy', { schema: { params: SiteParams } }, async (request, reply) => {
    const page = await app.services.energy.sitePage(requireActor(request), request.params.siteId);
    const tz = page.site.timezone;
    const shown = new Set<string>(page.measured.map((role) => ROLE_FIELD[role]));
    const flows = energyFlows(page.today, page.measured);
    const nodes = flowNodes(page.measured, page.consumptionSource !== null);
    const data = {
      title: `Energy · ${page.site.name}`,
      ...page,
      // Only what the site measures (consumption also when derived).
      legend: [...SUPPLY, ...USE].filter(([field]) => field === 'consumption' || shown.has(field)),
      dailyBars: energyBars(page.daily, tz, false),
      monthlyBars: energyBars(page.monthly, tz, true),
      // Without a known consumption there is nothing to draw the flows into.
      flow:
        page.consumptionSource === null
          ? undefined
          : flows && flowDiagram(flows, nodes, page.consumptionSource === 'measured' ? page.today.consumption : null),
    };
    return render(request, reply, { page: 'pages/energy/show', partial: 'partials/energy/show' }, data);
  });
};

export default routes;
