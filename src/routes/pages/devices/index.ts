import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import Type from 'typebox';
import { DeviceParams } from '../../../schemas/devices.js';
import { redirect, render } from '../render.js';
import forms from './forms.js';
import { ChartQuery, chartChoice } from '../chart-query.js';

/** What the device page confirms after its forms (`?done=`, set by their redirects): fixed words and the stored name. */
const DONE = {
  created: (name: string) => `${name} is added.`,
  saved: (name: string) => `Your changes to ${name} are saved.`,
  'rule-saved': () => 'Alarm rule saved.',
};
const DevicePageQuery = Type.Object({
  ...ChartQuery.properties,
  done: Type.Optional(Type.Enum(Object.keys(DONE) as (keyof typeof DONE)[])),
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  // The change history is for those who may change the device; viewers see neither it nor the edit controls.
  app.get(
    '/devices/:deviceId',
    { schema: { params: DeviceParams, querystring: DevicePageQuery } },
    async (request, reply) => {
      const actor = requireActor(request);
      const { history, ...page } = await app.services.dashboards.device(actor, request.params.deviceId);
      // Full pages only: the partial (the latest values, fetched every 10 s) has no rules.
      const alarmRules = request.htmx.partial ? null : await app.services.alarms.deviceRules(actor, page.device.id);
      const done = request.query.done ? DONE[request.query.done](page.device.name) : null;
      const data = {
        title: page.device.name,
        ...page,
        ...chartChoice(request.query),
        audit: history,
        alarmRules,
        done,
        now: new Date().toISOString(),
      };
      return render(request, reply, { page: 'pages/devices/show', partial: 'partials/devices/metrics' }, data);
    },
  );

  // Deleting asks first, on its own page, so it also works without JavaScript.
  app.get('/devices/:deviceId/delete', { schema: { params: DeviceParams } }, async (request, reply) => {
    const actor = requireActor(request);
    const { etag: _etag, ...device } = await app.services.devices.editable(actor, request.params.deviceId, 'delete');
    const site = await app.services.sites.get(actor, device.siteId);
    return render(
      request,
      reply,
      { page: 'pages/devices/delete', partial: 'partials/devices/delete' },
      { title: `Delete ${device.name}`, device, site },
    );
  });

  app.post('/devices/:deviceId/delete', { schema: { params: DeviceParams } }, async (request, reply) => {
    const actor = requireActor(request);
    const { siteId } = await app.services.devices.get(actor, request.params.deviceId);
    await app.services.devices.delete(actor, request.params.deviceId);
    return redirect(request, reply, `/sites/${siteId}?done=device-deleted`);
  });

  await app.register(forms);
};

export default routes;
