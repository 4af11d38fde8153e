// Validation messages are said as a person would read them beside a field, on the API and the pages alike.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { buildTestApp, createWorld, injectAs } from '../../helpers/app.js';

let app: App;
let w: Awaited<ReturnType<typeof createWorld>>;
beforeEach(async () => {
  app = await buildTestApp();
  w = await createWorld(app);
});
afterEach(() => app.close());

const errorsOf = async (method: 'POST' | 'PATCH', url: string, payload: object) =>
  (await injectAs(app, w.admin, { method, url, payload })).json().errors;

describe('Validation messages', () => {
  it('When fields break their limits, then each message says what is wanted, not the schema keyword', async () => {
    expect(await errorsOf('POST', '/api/sites', { name: '' })).toEqual([{ path: '/name', message: 'is required' }]);
    expect(await errorsOf('POST', '/api/sites', { name: '   ' })).toEqual([
      { path: '/name', message: 'must not be blank' },
    ]);
    expect(await errorsOf('POST', '/api/sites', { name: 'x'.repeat(121) })).toEqual([
      { path: '/name', message: 'must be at most 120 characters' },
    ]);
    expect(await errorsOf('POST', '/api/sites', { name: 'Polar', latitude: 91, longitude: 0 })).toEqual([
      { path: '/latitude', message: 'must be at most 90' },
    ]);
    expect(
      await errorsOf('POST', `/api/devices/${w.device.id}/metrics`, { key: 'Bad Key', name: 'X', unit: '' }),
    ).toEqual([{ path: '/key', message: 'must start with a letter and use only a–z, 0–9 and _' }]);
    expect(
      await errorsOf('POST', `/api/devices/${w.device.id}/metrics`, {
        key: 'k',
        name: 'X',
        unit: '',
        kind: 'spiky',
        intervalSeconds: 1.5,
      }),
    ).toEqual([
      { path: '/kind', message: 'is not one of the allowed values' },
      { path: '/intervalSeconds', message: 'must be a whole number' },
    ]);
    expect(await errorsOf('POST', '/api/users', { email: 'nobody', name: 'N', password: 'long enough pw' })).toEqual([
      { path: '/email', message: 'is not an email address' },
    ]);
    expect(await errorsOf('POST', '/api/me/tokens', { name: 'n', expiresInDays: 0 })).toEqual([
      { path: '/expiresInDays', message: 'must be at least 1' },
    ]);
  });
});
