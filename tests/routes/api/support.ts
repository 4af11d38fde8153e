// Shared assertions for the API tests: what is stored, and what a problem response looks like.
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import type { App } from '../../../src/app.js';
import { addMember, createDevice, createSite, createWorld } from '../../helpers/app.js';
import { sqlRow, sqlRows } from '../../helpers/sql.js';

export type World = Awaited<ReturnType<typeof createWorld>>;

// Tokens (last_used_at is touched on use), sessions and readings are left out on purpose.
const TABLES = ['users', 'sites', 'site_members', 'devices', 'metrics', 'audit_log'] as const;

/** Every row of the domain tables (in a fixed order), to prove that a refused request stored nothing. */
export async function snapshot(app: App): Promise<Record<string, unknown[]>> {
  const tables = await Promise.all(
    TABLES.map(async (t) => {
      const rows = (await sqlRows(app, `SELECT * FROM ${t}`)).map((r) => JSON.stringify(r)).sort();
      return [t, rows.map((r) => JSON.parse(r) as unknown)] as const;
    }),
  );
  return Object.fromEntries(tables);
}

export const count = async (app: App, table: (typeof TABLES)[number] | 'api_tokens' | 'sessions') =>
  (await sqlRow<{ n: number }>(app, `SELECT count(*) AS n FROM ${table}`))!.n;

export interface AuditRow {
  actor_id: string | null;
  site_id: string | null;
  entity_type: string;
  entity_id: string;
  action: string;
  before: string | null;
  after: string | null;
}

export const lastAudit = (app: App) => sqlRow<AuditRow>(app, 'SELECT * FROM audit_log ORDER BY id DESC LIMIT 1');

/** Asserts an application/problem+json response with a status and stable code; returns the body. */
export function expectProblem(res: LightMyRequestResponse, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body).toMatchObject({ status, code });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  return body as { status: number; code: string; detail: string; errors?: { path: string; message: string }[] };
}

/** A 422 that names the offending field. */
export function expectInvalid(res: LightMyRequestResponse, path: string) {
  const body = expectProblem(res, 422, 'VALIDATION_FAILED');
  expect(body.errors?.map((e) => e.path)).toContain(path);
  for (const e of body.errors ?? []) expect(typeof e.message).toBe('string');
  return body;
}

/** Another site with the same cast (technician and viewer members, outsider not), and a battery on it. */
export async function siteLikeMain(app: App, w: World, name = 'Twin Site') {
  const site = await createSite(app, { name });
  await addMember(app, site.id, w.technician.id, 'technician');
  await addMember(app, site.id, w.viewer.id, 'viewer');
  const { device, metrics } = await createDevice(app, site.id, { name: 'Twin Battery' });
  return { site, device, metrics };
}
