// Making one matrix call (inject, or a real socket for a stream) and comparing answers.
import { request } from 'node:http';
import type { App } from '../../src/app.js';
import type { Declaration } from './matrix-declarations.js';
import type { RegisteredRoute } from './matrix-routes.js';
import { credentials, idsOf, type ActorName, type Cast, type Target } from './matrix-world.js';
import { sqlOf } from '../helpers/sql.js';

export interface Response {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The URL and body as sent, to tell echoed input from a leak. */
  sent: string;
}

export interface CallContext {
  app: App;
  cast: Cast;
  actor: ActorName;
  route: RegisteredRoute;
  decl: Declaration;
  query: string;
  port: number;
}

const PARAMS: Record<string, (t: Target) => string> = {
  siteId: (t) => t.site.id,
  deviceId: (t) => t.device.id,
  metricId: (t) => t.metrics[0].id,
  subscriptionId: (t) => t.subscription.id,
  tokenId: (t) => t.token.id,
  userId: (t) => t.user.id,
  keyId: (t) => t.ingestKey.id,
  ruleId: (t) => t.alarmRule.id,
  alarmId: (t) => t.alarm.id,
  webhookId: (t) => t.webhook.id,
};

export function fill(pattern: string, t: Target, params: Declaration['params'] = {}): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = params[name] ?? PARAMS[name];
    if (!value) throw new Error(`no value for path parameter :${name} (add it to PARAMS in matrix-http.ts)`);
    return value(t);
  });
}

const form = (fields: Record<string, unknown>) =>
  new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();

export async function call(ctx: CallContext, t: Target): Promise<Response> {
  const { app, route, decl } = ctx;
  const api = route.url.startsWith('/api/');
  const write = route.method !== 'GET' && route.method !== 'HEAD';
  const creds = await credentials(app, ctx.cast, ctx.actor, api ? 'api' : 'page', !api && write, t);
  const url = (decl.path ?? fill(route.url, t, decl.params)) + ctx.query;
  const fields = decl.body?.(t);
  const headers: Record<string, string> = { ...creds.headers };
  let payload: string | undefined;
  if (api && fields) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(fields);
  } else if (!api && write) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    payload = form({ ...(creds.csrf ? { _csrf: creds.csrf } : {}), ...fields });
  }
  const sent = `${url}\n${payload ?? ''}`;
  if (decl.stream) return { ...(await overSocket(ctx.port, route.method, url, headers)), sent };
  const res = await app.inject({
    method: route.method as 'GET',
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  return { statusCode: res.statusCode, headers: res.headers, body: res.body, sent };
}

/**
 * inject() cannot show a response that never ends: a stream is read over a socket until its first
 * bytes (or its end, for a refusal), then dropped. 1.5 s is plenty: the stream writes at once.
 */
function overSocket(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<Omit<Response, 'sent'>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let body = '';
      const done = () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body });
      };
      const timer = setTimeout(done, 1500);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        if (res.headers['content-type']?.startsWith('text/event-stream')) done();
      });
      res.on('end', done);
    });
    req.on('error', (err) => (req.destroyed ? undefined : reject(err)));
    req.end();
  });
}

// ratelimit: the requests left in the window, one fewer on each request, whatever it asked for.
const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'set-cookie', 'connection', 'keep-alive', 'ratelimit']);

/** What must not differ between a hidden object and a missing one, ids replaced by placeholders. */
export function normalize(res: Response, t: Target) {
  const ids = idsOf(t);
  const swap = (s: string) => ids.reduce((acc, [id, ph]) => acc.split(id).join(ph), s);
  const body = swap(res.body)
    .replace(/(name="csrf-token" content=")[^"]+/g, '$1{csrf}')
    .replace(/(name="_csrf" value=")[^"]+/g, '$1{csrf}')
    .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z/g, '{time}');
  // Every header but the ones that differ per request anyway: a count or a name in a header is a leak too.
  const headers = Object.fromEntries(
    Object.entries(res.headers)
      .filter(([name]) => !VOLATILE_HEADERS.has(name))
      .map(([name, value]) => [name, swap(String(value))]),
  );
  return { status: res.statusCode, headers, body };
}

// Domain tables whose every insert, update and delete is journalled while the matrix runs. Sessions
// and rollups (a cache) are left out; so is a token's or an ingest key's last_used_at, touched on every use. A metric's
// latest value (kept by ingestion) is journalled apart from its definition, which is audited.
const WATCHED: Record<string, [label: string, update: string][]> = {
  users: [['users', 'UPDATE']],
  api_tokens: [['api_tokens', 'UPDATE OF user_id, name, token_hash, prefix, expires_at']],
  ingest_keys: [['ingest_keys', 'UPDATE OF site_id, device_id, name, key_hash, prefix, created_by, revoked_at']],
  sites: [['sites', 'UPDATE']],
  site_members: [['site_members', 'UPDATE']],
  devices: [['devices', 'UPDATE']],
  metrics: [
    [
      'metrics',
      'UPDATE OF pk, id, device_id, site_id, key, name, unit, kind, interval_seconds, created_at, updated_at',
    ],
    ['metrics_latest', 'UPDATE OF latest_ts, latest_value, latest_received_at'],
  ],
  readings: [['readings', 'UPDATE']],
  audit_log: [['audit_log', 'UPDATE']],
  subscriptions: [['subscriptions', 'UPDATE']],
  subscription_metrics: [['subscription_metrics', 'UPDATE']],
  alarm_rules: [['alarm_rules', 'UPDATE']],
  alarm_states: [['alarm_states', 'UPDATE']],
  alarms: [['alarms', 'UPDATE']],
};

/**
 * Triggers that write a line per changed row into a journal: proving that a refused call (or a
 * read) stored nothing costs one query, however big the database has grown. On SQLite they are
 * temporary (the app's one connection); on PostgreSQL, whose pool has several, they live in the
 * test app's own schema and are replaced when a later app of the file reuses it.
 */
export async function watchWrites(app: App): Promise<() => Promise<() => Promise<string[]>>> {
  const sql = sqlOf(app);
  const pg = app.pg !== null;
  if (pg)
    await sql.exec(`CREATE TABLE IF NOT EXISTS matrix_writes (id bigserial PRIMARY KEY, what text NOT NULL);
      CREATE OR REPLACE FUNCTION matrix_journal() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO matrix_writes (what) VALUES (TG_ARGV[0]); RETURN NULL; END $$`);
  else await sql.exec('CREATE TEMP TABLE matrix_writes (id INTEGER PRIMARY KEY, what TEXT NOT NULL)');
  const trigger = (name: string, event: string, table: string, what: string) =>
    sql.exec(
      pg
        ? `CREATE OR REPLACE TRIGGER matrix_${name} AFTER ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION matrix_journal('${what}')`
        : `CREATE TEMP TRIGGER matrix_${name} AFTER ${event} ON main.${table} BEGIN INSERT INTO matrix_writes (what) VALUES ('${what}'); END`,
    );
  for (const [table, updates] of Object.entries(WATCHED)) {
    await trigger(`${table}_insert`, 'INSERT', table, `insert ${table}`);
    await trigger(`${table}_delete`, 'DELETE', table, `delete ${table}`);
    for (const [label, event] of updates) await trigger(`${label}_update`, event, table, `update ${label}`);
  }
  // Start watching; the function returned lists what was written since.
  return async () => {
    const mark = (await sql.value<number | null>('SELECT max(id) AS id FROM matrix_writes')) ?? 0;
    return async () => {
      const rows = await sql.all<{ what: string }>('SELECT what FROM matrix_writes WHERE id > ? ORDER BY id', mark);
      return [...new Set(rows.map((r) => r.what))];
    };
  };
}

/** Tables whose every change carries an audit row (src/db/repositories/audit.ts) naming who made it. */
export const AUDITED = /^(insert|update|delete) (users|sites|site_members|devices|metrics|ingest_keys|alarm_rules)$/;

/** Like watchWrites: start watching; the function returned lists the actor of each audit row written since. */
export function watchAudit(app: App): () => Promise<() => Promise<(string | null)[]>> {
  const sql = sqlOf(app);
  return async () => {
    const mark = await sql.value<number>('SELECT coalesce(max(id), 0) AS id FROM audit_log');
    return async () =>
      (
        await sql.all<{ actorId: string | null }>(
          'SELECT actor_id AS "actorId" FROM audit_log WHERE id > ? ORDER BY id',
          mark,
        )
      ).map((r) => r.actorId);
  };
}
