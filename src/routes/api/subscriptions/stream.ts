import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { pickProblems } from '../../../schemas/common.js';
import { SubscriptionParams } from '../../../schemas/subscriptions.js';
import { sseSink } from '../sse.js';

/** GET /api/subscriptions/:subscriptionId/stream: Server-Sent Events. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:subscriptionId/stream',
    {
      // No automatic HEAD: it would run this handler, whose answer never ends, and Node sends a
      // HEAD answer's headers only at its end (the client waited for ever, holding a stream slot).
      exposeHeadRoute: false,
      schema: {
        tags: ['subscriptions'],
        summary: 'Live readings of the subscription (Server-Sent Events)',
        description:
          'Events `reading` with data `{metricId, timestamp, value}` and an id; send `Last-Event-ID` to resume without a gap. An `event: reset` means the gap cannot be filled: reload the history. Heartbeat comment every 15 s. At most 10 open streams per user (429). The stream ends within seconds of the session or token that opened it (sign-out, expiry, revocation, password reset, deactivation); reconnecting then gets 401.',
        params: SubscriptionParams,
        headers: Type.Object({ 'last-event-id': Type.Optional(Type.String({ maxLength: 64 })) }),
        response: {
          200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: Type.String() } } },
          ...pickProblems(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      const credential = request.credential ?? (async () => null);
      const close = await app.services.streams.open(
        actor,
        credential,
        request.params.subscriptionId,
        request.headers['last-event-id'],
        sseSink(reply),
      );
      request.raw.on('close', close);
    },
  );
};

export default routes;
