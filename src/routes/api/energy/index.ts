import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { requireActor } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { EnergyQuery, fleetEnergyResponse, siteEnergyResponse } from '../../../schemas/energy.js';
import { SiteParams } from '../../../schemas/sites.js';
import { energyCsv } from '../../../services/energy-csv.js';
import { wantsCsv } from '../series-reply.js';

const tags = ['energy'];

const sendCsv = (reply: FastifyReply, filename: string, body: string) =>
  reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename.replace(/[^A-Za-z0-9_.-]+/g, '-')}.csv"`)
    .serializer((payload) => String(payload))
    .send(body);

/** GET /api/energy: every site the caller sees, and their sum. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Energy balance of your sites per day, week or month (JSON or CSV)',
        querystring: EnergyQuery,
        response: { 200: fleetEnergyResponse, ...pickProblems(400, 401) },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const answer = await app.services.energy.forFleet(requireActor(request), query);
      return wantsCsv(request, format) ? sendCsv(reply, 'energy', energyCsv(answer)) : answer;
    },
  );
};

/** GET /api/sites/:siteId/energy */
export const siteEnergy: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: "A site's energy balance per day, week or month (JSON or CSV)",
        params: SiteParams,
        querystring: EnergyQuery,
        response: { 200: siteEnergyResponse, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const answer = await app.services.energy.forSite(requireActor(request), request.params.siteId, query);
      return wantsCsv(request, format)
        ? sendCsv(reply, `${answer.siteName}-energy`, energyCsv({ sites: [answer] }))
        : answer;
    },
  );
};

export default routes;
