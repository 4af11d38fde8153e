import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MQTT_DEFAULTS } from '../../src/config.js';
import { simulatorService } from '../../src/services/simulator.js';
import { simulatorMqttFeed } from '../../src/services/simulator-mqtt.js';
import { buildTestApp, createDevice, createSite, createUser, injectAs } from '../helpers/app.js';

let app: App;
let logged: string[];
const log = {
  info: (obj: object, msg: string) => logged.push(JSON.stringify({ ...obj, msg })),
  warn: (obj: object, msg: string) => logged.push(JSON.stringify({ ...obj, msg })),
};
const SECRET = 'simulator-test-secret-0123456789abcdef';
const stops: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  logged = [];
  app = await buildTestApp({ mqtt: { ...MQTT_DEFAULTS, port: 0 } });
});
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  await app.close();
});

function runFed(everyMs = 100) {
  const sim = simulatorService(app.repos, app.services.readings, log);
  const feed = simulatorMqttFeed(
    app.services.ingestKeys,
    { url: `mqtt://127.0.0.1:${app.mqtt.port}`, secret: SECRET },
    log,
  );
  sim.start(everyMs, feed.send);
  stops.push(
    () => sim.stop(),
    () => feed.close(),
  );
  return feed;
}
async function keysOf(siteId: string) {
  const admin = await createUser(app, { isAdmin: true });
  const res = await injectAs(app, admin, { method: 'GET', url: `/api/sites/${siteId}/ingest-keys` });
  return { admin, keys: (res.json() as { items: { id: string; name: string; revokedAt: string | null }[] }).items };
}

describe('SIMULATOR=mqtt', () => {
  it("When the simulator feeds through MQTT, then the demo site's readings arrive through the broker with one key for the site, whose secret is never logged", async () => {
    const site = await createSite(app);
    await createDevice(app, site.id, { type: 'battery', simulated: true });
    await createDevice(app, site.id, { type: 'pv_array', simulated: true });
    runFed();
    await expect.poll(() => app.mqtt.counts.stored, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    expect(app.mqtt.counts.refused).toBe(0);
    const { keys } = await keysOf(site.id);
    expect(keys).toMatchObject([{ name: 'Simulator (SIMULATOR=mqtt)', revokedAt: null }]);
    expect(logged.join('\n')).not.toMatch(/swi_/);
  });

  it('When the simulator starts again with the same secret, then it uses the same key; once that key is revoked, the site is not fed', async () => {
    const site = await createSite(app);
    await createDevice(app, site.id, { type: 'battery', simulated: true });
    const first = runFed();
    await expect.poll(() => app.mqtt.counts.stored, { timeout: 5_000 }).toBeGreaterThanOrEqual(1);
    await first.close();
    runFed();
    const before = app.mqtt.counts.stored;
    await expect.poll(() => app.mqtt.counts.stored, { timeout: 5_000 }).toBeGreaterThan(before);
    const { admin, keys } = await keysOf(site.id);
    expect(keys).toHaveLength(1);

    await injectAs(app, admin, { method: 'DELETE', url: `/api/ingest-keys/${keys[0].id}` });
    for (const stop of stops.splice(0)) await stop();
    runFed();
    await expect.poll(() => logged.some((l) => l.includes('is revoked')), { timeout: 5_000 }).toBe(true);
    expect((await keysOf(site.id)).keys).toHaveLength(1);
  });
});
