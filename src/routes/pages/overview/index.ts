import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { OVERVIEW_SORTS } from '../../../services/dashboards.js';
import { render } from '../render.js';

/** Sites in the table; past it the page says so (the sites list searches them all). */
const SHOWN = 200;

const OverviewQuery = Type.Object({
  sort: Type.Optional(Type.Enum([...OVERVIEW_SORTS])),
  dir: Type.Optional(Type.Enum(['asc', 'desc'])),
});

/** The landing page: the caller's energy today and this month, and their sites in a sortable table. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: { querystring: OverviewQuery } }, async (request, reply) => {
    const { sort, dir } = request.query;
    const overview = await app.services.dashboards.overview(requireActor(request), SHOWN, sort, dir);
    const data = { title: 'Overview', ...overview, shown: SHOWN };
    return render(request, reply, { page: 'pages/overview/index', partial: 'partials/overview/body' }, data);
  });
};

export default routes;
