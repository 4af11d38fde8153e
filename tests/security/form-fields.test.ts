// Form field names are nested by src/routes/pages/form.ts (`metrics[0][key]`): a name that walks
// into a prototype once set a property on every object of the server process.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { unflatten } from '../../src/routes/pages/form.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import { signIn } from '../helpers/pages.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const names = ['__proto__[polluted]', 'constructor[prototype][polluted]', 'metrics[__proto__][polluted]', 'metrics[0][__proto__][polluted]', 'metrics[constructor][prototype][polluted]'];

describe('Form field names', () => {
  it('When a name walks into a prototype, then it is dropped and nothing outside the form changes', () => {
    for (const name of names) {
      const out = unflatten({ [name]: 'yes', name: 'Kept' });
      expect(out).toEqual({ name: 'Kept' });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    }
  });

  it('When a plain value comes where rows are expected, then the rows win instead of a crash', () => {
    expect(unflatten({ metrics: 'x', 'metrics[0][key]': 'a' })).toEqual({ metrics: { 0: { key: 'a' } } });
  });

  it('When such names are posted to every kind of form, then each answer is a 4xx, the process is unharmed and the next form still works', async () => {
    const b = await signIn(app, w.technician.email);
    for (const name of names) {
      for (const url of [`/sites/${w.site.id}/devices`, `/devices/${w.device.id}`, '/account/tokens']) {
        const res = await b.post(url, { [name]: 'yes', name: 'Probe', type: 'meter', version: w.device.version });
        expect(res.statusCode, `${url} ${name}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${url} ${name}`).toBeLessThan(500);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }
    }
    const created = await b.post(`/sites/${w.site.id}/devices`, { name: 'After', type: 'meter', manufacturer: '', model: '', serialNumber: '', 'metrics[0][key]': 'power', 'metrics[0][name]': 'Power', 'metrics[0][unit]': 'kW', 'metrics[0][kind]': 'gauge', 'metrics[0][intervalSeconds]': '60' });
    expect(created.statusCode).toBe(303);
  });
});
