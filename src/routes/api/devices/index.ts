import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, PageOf, PageQuery, pickProblems } from '../../../schemas/common.js';
import {
  CreateDeviceBody,
  DeviceParams,
  DeviceSchema,
  DeviceWithMetrics,
  IfMatchHeaders,
  UpdateDeviceBody,
} from '../../../schemas/devices.js';
import { MetricBody, MetricSchema } from '../../../schemas/metrics.js';
import { SiteParams } from '../../../schemas/sites.js';

const tags = ['devices'];

/** Routes under /api/sites/:siteId/devices. */
export const siteDevices: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Devices of a site, by name',
        params: SiteParams,
        querystring: PageQuery,
        response: { 200: PageOf(DeviceSchema), ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.devices.list(requireActor(request), request.params.siteId, request.query),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Add a device with its metrics (technicians of the site, admins)',
        params: SiteParams,
        body: CreateDeviceBody,
        response: { 201: DeviceWithMetrics, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { etag, ...device } = await app.services.devices.create(
        requireActor(request),
        request.params.siteId,
        request.body,
      );
      return reply.code(201).header('location', `/api/devices/${device.id}`).header('etag', etag).send(device);
    },
  );
};

/** Routes under /api/devices. */
const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/:deviceId',
    {
      schema: {
        tags,
        summary: 'A device with its metrics and their latest values; sends an ETag',
        params: DeviceParams,
        response: { 200: DeviceWithMetrics, ...pickProblems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { etag, ...device } = await app.services.devices.get(requireActor(request), request.params.deviceId);
      return reply.header('etag', etag).send(device);
    },
  );

  app.patch(
    '/:deviceId',
    {
      schema: {
        tags,
        summary: 'Change a device; send If-Match with the ETag to refuse a stale edit (412)',
        params: DeviceParams,
        headers: IfMatchHeaders,
        body: UpdateDeviceBody,
        response: { 200: DeviceWithMetrics, ...pickProblems(400, 401, 403, 404, 412, 422) },
      },
    },
    async (request, reply) => {
      const { etag, ...device } = await app.services.devices.update(
        requireActor(request),
        request.params.deviceId,
        request.body,
        request.headers['if-match'],
      );
      return reply.header('etag', etag).send(device);
    },
  );

  app.delete(
    '/:deviceId',
    {
      schema: {
        tags,
        summary: 'Delete a device with its metrics and readings',
        params: DeviceParams,
        headers: IfMatchHeaders,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      await app.services.devices.delete(requireActor(request), request.params.deviceId, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:deviceId/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Metrics of a device',
        params: DeviceParams,
        response: { 200: Type.Object({ items: Type.Array(MetricSchema) }), ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => ({
      items: await app.services.metrics.listByDevice(requireActor(request), request.params.deviceId),
    }),
  );

  app.post(
    '/:deviceId/metrics',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Add a metric to a device',
        params: DeviceParams,
        body: MetricBody,
        response: { 201: MetricSchema, ...pickProblems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const metric = await app.services.metrics.create(requireActor(request), request.params.deviceId, request.body);
      return reply.code(201).header('location', `/api/metrics/${metric.id}`).send(metric);
    },
  );
};

export default routes;
