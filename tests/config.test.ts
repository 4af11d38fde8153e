import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sitewatt-config-'));

describe('loadConfig', () => {
  it('When nothing is set, then the documented defaults apply and a session secret is generated once and kept', () => {
    const d = dir();
    const env = { DATABASE_PATH: join(d, 'db', 'sitewatt.db') };
    const c = loadConfig(env);
    expect(c).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      env: 'development',
      cookieSecure: false,
      demo: true,
      demoPassword: 'sitewatt-demo',
      simulator: true,
      retentionDays: 0,
      tokenMaxDays: 365,
    });
    expect(c.sessionSecret).toHaveLength(64);
    expect(readFileSync(join(d, 'db', '.session-secret'), 'utf8')).toBe(c.sessionSecret);
    expect(loadConfig(env).sessionSecret).toBe(c.sessionSecret);
  });

  it('When NODE_ENV=production has no SESSION_SECRET, then start-up is refused with a message naming it', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/SESSION_SECRET/);
  });

  it('When SESSION_SECRET is shorter than 32 characters, then start-up is refused', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'short' })).toThrow(/SESSION_SECRET/);
  });

  it('When production has a good secret, then cookies are Secure, demo data is off and logs are JSON', () => {
    const c = loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 'x'.repeat(32), DATABASE_PATH: join(dir(), 'db') });
    expect(c).toMatchObject({ cookieSecure: true, demo: false, logPretty: false });
  });

  it('When DATABASE_URL is set without SESSION_SECRET, then start-up is refused even outside production', () => {
    const env = { DATABASE_URL: 'postgres://sitewatt@db:5432/sitewatt', DATABASE_PATH: join(dir(), 'db') };
    expect(() => loadConfig(env)).toThrow(/SESSION_SECRET: required when DATABASE_URL is set/);
  });

  it('When DATABASE_URL is set with a secret, then PostgreSQL is chosen with the pool settings or their defaults', () => {
    const base = { DATABASE_URL: 'postgresql://sitewatt@db/sitewatt', SESSION_SECRET: 'x'.repeat(32) };
    expect(loadConfig(base).postgres).toEqual({ url: base.DATABASE_URL, poolSize: 10, statementTimeoutMs: 30_000 });
    const tuned = loadConfig({ ...base, DATABASE_POOL_SIZE: '25', DATABASE_STATEMENT_TIMEOUT_MS: '0' });
    expect(tuned.postgres).toMatchObject({ poolSize: 25, statementTimeoutMs: 0 });
    expect(loadConfig({ DATABASE_PATH: join(dir(), 'db') }).postgres).toBeNull();
  });

  it('When DATABASE_URL is not a postgres URL or the pool size is 0, then both are named', () => {
    const env = { DATABASE_URL: 'mysql://db/x', DATABASE_POOL_SIZE: '0', SESSION_SECRET: 'x'.repeat(32) };
    expect(() => loadConfig(env)).toThrow(
      /DATABASE_URL[\s\S]*DATABASE_POOL_SIZE|DATABASE_POOL_SIZE[\s\S]*DATABASE_URL/,
    );
  });

  it('When a value is malformed, then every problem is named in one message', () => {
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', DEMO: 'maybe' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/PORT/);
      expect(msg).toMatch(/LOG_LEVEL/);
      expect(msg).toMatch(/DEMO/);
    }
  });

  it('When TRUST_PROXY is a count, a list or true, then it is parsed as such', () => {
    const base = { DATABASE_PATH: join(dir(), 'db') };
    expect(loadConfig({ ...base, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...base, TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1');
    expect(loadConfig(base).trustProxy).toBe(false);
  });

  it('When TOKEN_MAX_DAYS is set, then it is the longest token lifetime; outside 1 to 3650 days, start-up is refused naming it', () => {
    const base = { DATABASE_PATH: join(dir(), 'db') };
    expect(loadConfig({ ...base, TOKEN_MAX_DAYS: '30' }).tokenMaxDays).toBe(30);
    for (const bad of ['0', '3651', '-1', '1.5', 'year'])
      expect(() => loadConfig({ ...base, TOKEN_MAX_DAYS: bad }), bad).toThrow(/TOKEN_MAX_DAYS/);
  });

  it('When MQTT_PORT is unset, then the broker is off; set, it listens there on MQTT_HOST (127.0.0.1 by default)', () => {
    const base = { DATABASE_PATH: join(dir(), 'db') };
    expect(loadConfig(base).mqtt).toBeNull();
    expect(loadConfig({ ...base, MQTT_PORT: '18830' }).mqtt).toEqual({ port: 18830, host: '127.0.0.1' });
    expect(loadConfig({ ...base, MQTT_PORT: '0', MQTT_HOST: '0.0.0.0' }).mqtt).toEqual({ port: 0, host: '0.0.0.0' });
    for (const bad of ['65536', '-1', 'mqtt'])
      expect(() => loadConfig({ ...base, MQTT_PORT: bad }), bad).toThrow(/MQTT_PORT/);
  });
});
