// A user's subscriptions: the list, one subscription's chart page, and deleting one.
// Only the owner sees a subscription; anyone else gets the same 404 page as for a missing id.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { SubscriptionParams } from '../../../schemas/subscriptions.js';
import { metricLabel } from '../../../services/metrics.js';
import { ChartQuery, chartChoice } from '../chart-query.js';
import { redirect, render } from '../render.js';
import forms from './forms.js';

/** Follows `nextCursor` to the end: the list shows every subscription, not the first page. */
async function everyPage<T>(
  load: (cursor?: string) => Promise<{ items: T[]; nextCursor: string | null }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await load(cursor);
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/subscriptions', async (request, reply) => {
    const actor = requireActor(request);
    const subscriptions = await everyPage((cursor) => app.services.subscriptions.list(actor, { limit: 200, cursor }));
    return render(
      request,
      reply,
      { page: 'pages/subscriptions/index', partial: 'partials/subscriptions/list' },
      { title: 'Your subscriptions', subscriptions },
    );
  });

  // The metrics table polls this URL (htmx) like the device page; the chart reads the JSON API.
  app.get(
    '/subscriptions/:subscriptionId',
    { schema: { params: SubscriptionParams, querystring: ChartQuery } },
    async (request, reply) => {
      const sub = await app.services.subscriptions.get(requireActor(request), request.params.subscriptionId);
      const metrics = sub.metrics.map((m) =>
        Object.assign(m, { label: metricLabel(m.siteName, m.deviceName, m.name, m.unit) }),
      ); // fresh views, not spread: see siteLatest
      const data = {
        title: sub.name,
        subscription: { ...sub, metrics },
        ...chartChoice(request.query),
        now: new Date().toISOString(),
      };
      return render(
        request,
        reply,
        { page: 'pages/subscriptions/show', partial: 'partials/subscriptions/metrics' },
        data,
      );
    },
  );

  // Deleting asks first, on its own page, so it also works without JavaScript.
  app.get(
    '/subscriptions/:subscriptionId/delete',
    { schema: { params: SubscriptionParams } },
    async (request, reply) => {
      const sub = await app.services.subscriptions.get(requireActor(request), request.params.subscriptionId);
      return render(
        request,
        reply,
        { page: 'pages/subscriptions/delete', partial: 'partials/subscriptions/delete' },
        { title: `Delete ${sub.name}`, subscription: sub },
      );
    },
  );

  app.post(
    '/subscriptions/:subscriptionId/delete',
    { schema: { params: SubscriptionParams } },
    async (request, reply) => {
      await app.services.subscriptions.delete(requireActor(request), request.params.subscriptionId);
      return redirect(request, reply, '/subscriptions');
    },
  );

  await app.register(forms);
};

export default routes;
