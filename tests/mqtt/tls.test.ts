import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { MQTT_DEFAULTS } from '../../src/config.js';
import { buildTestApp, createWorld } from '../helpers/app.js';
import * as helpers from './helpers.js';
import { closeClients, stored, T0, topicOf, type World } from './helpers.js';

const OPENSSL = '/usr/bin/openssl';
let app: App;
let w: World;
let certFile: string;

/** A self-signed certificate for 127.0.0.1, made for this run only. */
function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), 'sitewatt-mqtt-tls-'));
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  execFileSync(
    OPENSSL,
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...[
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
    ],
    { stdio: 'ignore' },
  );
  return { certFile: cert, keyFile: key };
}

describe.skipIf(!existsSync(OPENSSL))('MQTT over TLS (MQTT_TLS_CERT, MQTT_TLS_KEY)', () => {
  beforeEach(async () => {
    const tls = selfSigned();
    certFile = tls.certFile;
    app = await buildTestApp({ mqtt: { ...MQTT_DEFAULTS, port: 0, tls } });
    w = await createWorld(app);
  });
  afterEach(async () => {
    await closeClients();
    await app.close();
  });

  it('When a client that trusts the certificate connects with mqtts, then its QoS 1 message is stored by the PUBACK', async () => {
    const { key } = await helpers.keyFor(app, w);
    const client = await helpers.connect(`mqtts://127.0.0.1:${app.mqtt.port}`, key, { ca: readFileSync(certFile) });
    await client.publishAsync(topicOf(w.device.id), JSON.stringify({ ts: T0, values: { soc: 12 } }), { qos: 1 });
    expect(await stored(app)).toEqual([{ key: 'soc', ts: T0, value: 12 }]);
  });

  it('When a client speaks plain MQTT to the TLS port, then it gets no CONNACK', async () => {
    const { key } = await helpers.keyFor(app, w);
    const client = connect(`mqtt://127.0.0.1:${app.mqtt.port}`, { username: key, reconnectPeriod: 0 });
    let connected = false;
    client.on('connect', () => (connected = true));
    await new Promise((r) => setTimeout(r, 1_500));
    await client.endAsync(true);
    expect(connected).toBe(false);
    expect(app.mqtt.connected()).toBe(0);
  });

  it.skipIf(!existsSync('/usr/bin/mosquitto_pub'))(
    "When Debian's mosquitto_pub publishes with --cafile, then the readings are stored",
    async () => {
      const { key } = await helpers.keyFor(app, w);
      await promisify(execFile)('/usr/bin/mosquitto_pub', [
        ...['-h', '127.0.0.1', '-p', String(app.mqtt.port), '--cafile', certFile, '-V', 'mqttv311', '-q', '1'],
        ...['-u', key, '-t', topicOf(w.device.id), '-m', JSON.stringify({ ts: T0, values: { soc: 13 } })],
      ]);
      expect(await stored(app)).toEqual([{ key: 'soc', ts: T0, value: 13 }]);
    },
  );
});
