// Add and edit a device. An invalid form comes back with 422 and each message beside its field;
// a stale edit (someone saved first) comes back with 412 and says so instead of overwriting.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import { CreateDeviceBody, DeviceParams, DeviceType, UpdateDeviceBody } from '../../../schemas/devices.js';
import { MetricBody } from '../../../schemas/metrics.js';
import { SiteParams } from '../../../schemas/sites.js';
import { DEVICE_TYPES, defaultMetricsFor, type DeviceType as Kind } from '../../../domain/device-types.js';
import { ENERGY_ROLE_LABELS } from '../../../domain/energy-roles.js';
import { fieldName, fromForm, submitForm, type Errors } from '../form.js';
import { render } from '../render.js';

// The edit form sends the device's whole list of metrics: a row with an id changes that metric, one without adds one,
// and a metric left out is deleted. No rows at all arrives as no `metrics` field, which the service refuses.
// Every row of the forms shows its kind and interval filled in, so an emptied one is a mistake to
// point at ("is required"), not the API's "use the default": that turned a 900 s metric into 60 s.
// The energy role and decimals may be left out (a form without them keeps each metric's); empty decimals is null.
const FormMetricRow = Type.Object(
  {
    ...Type.Required(MetricBody).properties,
    energyRole: MetricBody.properties.energyRole,
    decimals: MetricBody.properties.decimals,
  },
  { additionalProperties: false },
);
const EditMetricRow = Type.Object(
  { id: Type.Optional(Id), ...FormMetricRow.properties },
  { additionalProperties: false },
);
const EditForm = Type.Object(
  {
    ...UpdateDeviceBody.properties,
    version: Type.Integer({ minimum: 0 }),
    metrics: Type.Optional(Type.Array(EditMetricRow, { maxItems: 100 })),
  },
  { additionalProperties: false },
);
const NewForm = Type.Object(
  { ...CreateDeviceBody.properties, metrics: Type.Optional(Type.Array(FormMetricRow, { maxItems: 100 })) },
  { additionalProperties: false },
);
const TypeQuery = Type.Object({ type: Type.Optional(DeviceType) });
const templates = (mode: 'new' | 'edit') => ({ page: `pages/devices/${mode}`, partial: 'partials/devices/form' });
const energyRoles = Object.entries(ENERGY_ROLE_LABELS);
const common = { types: DEVICE_TYPES, fieldName, energyRoles };

const blank = (type: Kind = 'battery') => ({
  name: '',
  type,
  manufacturer: '',
  model: '',
  serialNumber: '',
  metrics: defaultMetricsFor(type),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  /** What the form shows again: rows as a list of objects, whatever a hand-made post put there. */
  const rowsOf = <T extends object>(values: T): T => {
    const metrics = (values as { metrics?: unknown }).metrics;
    return {
      ...values,
      metrics: Array.isArray(metrics)
        ? metrics.map((m) => (m !== null && typeof m === 'object' ? m : {}))
        : metrics === undefined
          ? undefined
          : [],
    };
  };

  async function showNew(
    request: FastifyRequest,
    reply: FastifyReply,
    siteId: string,
    posted: object,
    errs: Errors,
    status = 200,
  ) {
    const values = rowsOf(posted);
    const site = await app.services.sites.manageable(requireActor(request), siteId);
    const data = {
      ...common,
      title: `Add a device to ${site.name}`,
      site,
      mode: 'new',
      action: `/sites/${site.id}/devices`,
      values,
      errors: errs,
    };
    return render(request, reply, templates('new'), data, status);
  }

  app.get(
    '/sites/:siteId/devices/new',
    { schema: { params: SiteParams, querystring: TypeQuery } },
    async (request, reply) => showNew(request, reply, request.params.siteId, blank(request.query.type), {}),
  );

  // The metric rows a type proposes (the type select asks for them), and one empty row.
  app.get(
    '/sites/:siteId/devices/new/rows',
    { schema: { params: SiteParams, querystring: TypeQuery } },
    async (request, reply) => {
      await app.services.sites.manageable(requireActor(request), request.params.siteId);
      const rows = defaultMetricsFor(request.query.type ?? 'other').map((m, i) => ({ index: i, m }));
      return reply
        .type('text/html; charset=utf-8')
        .send(await reply.viewAsync('partials/devices/metric-rows', { rows, errors: {}, fieldName, energyRoles }));
    },
  );
  app.get('/sites/:siteId/devices/new/row', { schema: { params: SiteParams } }, async (request, reply) => {
    await app.services.sites.manageable(requireActor(request), request.params.siteId);
    // A time-based index sorts after the existing rows and never collides with them.
    const rows = [
      {
        index: Date.now(),
        m: { key: '', name: '', unit: '', kind: 'gauge', intervalSeconds: 60, energyRole: null, decimals: null },
      },
    ];
    return reply
      .type('text/html; charset=utf-8')
      .send(await reply.viewAsync('partials/devices/metric-rows', { rows, errors: {}, fieldName, energyRoles }));
  });

  app.post(
    '/sites/:siteId/devices',
    { schema: { params: SiteParams, body: NewForm }, attachValidation: true, preValidation: fromForm(NewForm) },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.devices.create(requireActor(request), request.params.siteId, request.body),
        done: (device) => `/devices/${device.id}?done=created`,
        again: (errs) => showNew(request, reply, request.params.siteId, request.body, errs, 422),
      }),
  );

  async function showEdit(
    request: FastifyRequest,
    reply: FastifyReply,
    deviceId: string,
    values: object | null,
    errs: Errors,
    status = 200,
    stale = false,
  ) {
    const actor = requireActor(request);
    const { etag: _e, ...device } = await app.services.devices.editable(actor, deviceId, 'change');
    const site = await app.services.sites.get(actor, device.siteId);
    // After a stale save the form keeps what was typed but carries the current version, so saving again is a deliberate choice.
    const data = {
      ...common,
      title: `Edit ${device.name}`,
      site,
      device,
      mode: 'edit',
      action: `/devices/${device.id}`,
      values: { ...rowsOf(values ?? device), version: device.version },
      errors: errs,
      stale,
    };
    return render(request, reply, templates('edit'), data, status);
  }

  app.get('/devices/:deviceId/edit', { schema: { params: DeviceParams } }, async (request, reply) =>
    showEdit(request, reply, request.params.deviceId, null, {}),
  );

  app.post(
    '/devices/:deviceId',
    { schema: { params: DeviceParams, body: EditForm }, attachValidation: true, preValidation: fromForm(EditForm) },
    async (request, reply) => {
      const { deviceId } = request.params;
      return submitForm(request, reply, {
        run: () => {
          const { version, metrics, ...fields } = request.body;
          const input = { ...fields, metrics: metrics ?? [] };
          return app.services.devices.updateWithMetrics(requireActor(request), deviceId, input, `"v${version}"`);
        },
        done: () => `/devices/${deviceId}?done=saved`,
        refused: (err) =>
          (err as { code?: string }).code === 'SW_PRECONDITION_FAILED'
            ? showEdit(request, reply, deviceId, request.body, {}, 412, true)
            : undefined,
        again: (errs) => showEdit(request, reply, deviceId, request.body, errs, 422),
      });
    },
  );
};

export default routes;
