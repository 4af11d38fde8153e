import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, PageOf, PageQuery, pickProblems } from '../../../schemas/common.js';
import {
  CreateSubscriptionBody,
  SubscriptionParams,
  SubscriptionSchema,
  SubscriptionSummary,
  UpdateSubscriptionBody,
} from '../../../schemas/subscriptions.js';
import { SeriesQuery, seriesResponse } from '../../../schemas/timeseries.js';
import { MAX_SERIES_CELLS } from '../../../services/timeseries.js';
import { sendSeries } from '../series-reply.js';
import stream from './stream.js';

const tags = ['subscriptions'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Your subscriptions',
        querystring: PageQuery,
        response: { 200: PageOf(SubscriptionSummary), ...pickProblems(400, 401) },
      },
    },
    async (request) => app.services.subscriptions.list(requireActor(request), request.query),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Save a named set of metrics across your sites',
        body: CreateSubscriptionBody,
        response: { 201: SubscriptionSchema, ...pickProblems(400, 401, 422) },
      },
    },
    async (request, reply) => {
      const sub = await app.services.subscriptions.create(requireActor(request), request.body);
      return reply.code(201).header('location', `/api/subscriptions/${sub.id}`).send(sub);
    },
  );

  app.get(
    '/:subscriptionId',
    {
      schema: {
        tags,
        summary: 'A subscription with its metrics and latest values',
        params: SubscriptionParams,
        response: { 200: SubscriptionSchema, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.subscriptions.get(requireActor(request), request.params.subscriptionId),
  );

  app.patch(
    '/:subscriptionId',
    {
      schema: {
        tags,
        summary: 'Rename or replace the metric set',
        params: SubscriptionParams,
        body: UpdateSubscriptionBody,
        response: { 200: SubscriptionSchema, ...pickProblems(400, 401, 404, 422) },
      },
    },
    async (request) =>
      app.services.subscriptions.update(requireActor(request), request.params.subscriptionId, request.body),
  );

  app.delete(
    '/:subscriptionId',
    {
      schema: {
        tags,
        summary: 'Delete a subscription',
        params: SubscriptionParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await app.services.subscriptions.delete(requireActor(request), request.params.subscriptionId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:subscriptionId/timeseries',
    {
      schema: {
        tags: ['timeseries'],
        summary: "Aligned history of the subscription's metrics (JSON or CSV)",
        description: `At most ${MAX_SERIES_CELLS.toLocaleString('en-US')} values (metrics × buckets) in one answer; more is 400 SERIES_TOO_LARGE. Large answers are streamed.`,
        params: SubscriptionParams,
        querystring: SeriesQuery,
        response: { 200: seriesResponse, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query;
      const answer = await app.services.timeseries.forSubscription(
        requireActor(request),
        request.params.subscriptionId,
        query,
      );
      return sendSeries(request, reply, answer, format, `subscription-${request.params.subscriptionId}`);
    },
  );

  await app.register(stream);
};

export default routes;
