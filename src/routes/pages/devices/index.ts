import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DeviceParams } from '../../../schemas/devices.js';
import { errors } from '../../../errors.js';
import { canManageDevices, requireManageDevices } from '../../../services/policy.js';
import { actorOf, redirect, render } from '../render.js';
import forms from './forms.js';

/** Fields worth naming in the audit trail when they changed. */
function changes(before: unknown, after: unknown): string[] {
  if (!before || !after || typeof before !== 'object' || typeof after !== 'object') return [];
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return Object.keys(a)
    .filter((k) => !['updatedAt', 'version'].includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) =>
      shown(b[k]) === shown(a[k]) ? `${k}: units, kinds or intervals changed` : `${k}: ${shown(b[k])} → ${shown(a[k])}`,
    );
}

/** A metric list (an edit that changed metrics records them on the device) reads as its names and keys. */
function shown(value: unknown): string {
  if (!Array.isArray(value)) return String(value ?? '–');
  return value.map((m: { name?: unknown; key?: unknown }) => `${String(m.name)} (${String(m.key)})`).join(', ') || '–';
}

/** What the device page confirms after its forms (`?done=`, set by their redirects): fixed words and the stored name. */
const DONE = {
  created: (name: string) => `${name} is added.`,
  saved: (name: string) => `Your changes to ${name} are saved.`,
};
const DevicePageQuery = Type.Object({ done: Type.Optional(Type.Enum(Object.keys(DONE) as (keyof typeof DONE)[])) });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/devices/:deviceId',
    { schema: { params: DeviceParams, querystring: DevicePageQuery } },
    async (request, reply) => {
      const actor = actorOf(request);
      const { etag: _etag, ...device } = await app.services.devices.get(actor, request.params.deviceId);
      const site = await app.services.sites.get(actor, device.siteId);
      const canEdit = canManageDevices(actor, site.id);
      // The audit trail is for technicians and admins; the service refuses viewers, so only ask when allowed.
      let audit: { at: string; action: string; who: string; changes: string[] }[] | null = null;
      if (canEdit) {
        const { items } = await app.services.sites.audit(actor, site.id, { limit: 20, entityId: device.id });
        const names = new Map<string, string>();
        for (const id of new Set(items.map((i) => i.actorId).filter((x): x is string => !!x)))
          names.set(id, (await app.repos.users.findById(id))?.name ?? 'a removed user');
        audit = items.map((i) => ({
          at: i.at,
          action: i.action,
          who: i.actorId ? (names.get(i.actorId) ?? '') : 'the system',
          changes: changes(i.before, i.after),
        }));
      }
      const done = request.query.done ? DONE[request.query.done](device.name) : null;
      const data = { title: device.name, device, site, canEdit, audit, done, now: new Date().toISOString() };
      return render(request, reply, { page: 'pages/devices/show', partial: 'partials/devices/metrics' }, data);
    },
  );

  // Deleting asks first, on its own page, so it also works without JavaScript.
  app.get('/devices/:deviceId/delete', { schema: { params: DeviceParams } }, async (request, reply) => {
    const actor = actorOf(request);
    const { etag: _etag, ...device } = await app.services.devices.get(actor, request.params.deviceId);
    const site = await app.services.sites.get(actor, device.siteId);
    requireManageDevices(actor, site.id, () => new errors.DEVICE_NOT_FOUND(), 'delete devices on this site');
    return render(
      request,
      reply,
      { page: 'pages/devices/delete', partial: 'partials/devices/delete' },
      { title: `Delete ${device.name}`, device, site },
    );
  });

  app.post('/devices/:deviceId/delete', { schema: { params: DeviceParams } }, async (request, reply) => {
    const actor = actorOf(request);
    const { siteId } = await app.services.devices.get(actor, request.params.deviceId);
    await app.services.devices.delete(actor, request.params.deviceId);
    return redirect(request, reply, `/sites/${siteId}?done=device-deleted`);
  });

  await app.register(forms);
};

export default routes;
