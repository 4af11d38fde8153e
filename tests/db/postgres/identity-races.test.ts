// Check-then-write rules of the identity repositories under concurrency on PostgreSQL, where
// SQLite's single writer no longer orders the requests (docs/decisions/016-postgresql.md).
// Runs only with TEST_DATABASE_URL.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../../src/app.js';
import { EmailTaken } from '../../../src/db/repositories/users.js';
import { buildTestApp, createSite, createUser, injectAs, onPostgres, type TestUser } from '../../helpers/app.js';
import { sqlRow, sqlRows } from '../../helpers/sql.js';
import { expectProblem } from '../../routes/api/support.js';

let app: App;
let admin: TestUser;
beforeEach(async () => {
  if (!onPostgres) return;
  app = await buildTestApp();
  admin = await createUser(app, { isAdmin: true });
});
afterEach(() => app?.close());

const user = (email: string, name = 'Someone') => ({ email, name, passwordHash: 'x', isAdmin: false });

describe.skipIf(!onPostgres)('Unique e-mails on PostgreSQL', () => {
  it('When eight creations of one e-mail run at once, then one user is stored and every other gets EmailTaken', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => app.repos.users.create(user('race@example.com', `Racer ${i}`), null)),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) expect(r.reason).toBeInstanceOf(EmailTaken);
    const rows = await sqlRows(app, "SELECT id FROM users WHERE email = 'race@example.com'");
    expect(rows).toHaveLength(1);
    // Only the stored user's creation is audited: the losers' transactions rolled back whole.
    expect(
      await sqlRow(
        app,
        "SELECT count(*) AS n FROM audit_log WHERE entity_type = 'user' AND action = 'create' AND entity_id = ?",
        [rows[0].id],
      ),
    ).toEqual({ n: 1 });
  });

  it('When two users take the same new e-mail at once, then one gets it and the other EmailTaken, which the API answers 409 EMAIL_TAKEN', async () => {
    const a = await app.repos.users.create(user('a@example.com'), null);
    const b = await app.repos.users.create(user('b@example.com'), null);
    const results = await Promise.allSettled(
      [a, b].map((u) => app.repos.users.update(u.id, { email: 'wanted@example.com' }, null)),
    );
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(EmailTaken);

    const both = await Promise.all(
      [1, 2].map((n) =>
        injectAs(app, admin, {
          method: 'POST',
          url: '/api/users',
          payload: { email: 'twice@example.com', name: `Twice ${n}`, password: 'a long password' },
        }),
      ),
    );
    expect(both.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    expectProblem(
      both.find((r) => r.statusCode === 409)!,
      409,
      'EMAIL_TAKEN',
    );
  });
});

describe.skipIf(!onPostgres)('Membership upserts on PostgreSQL', () => {
  it('When six role changes for one new member run at once, then there is one membership, one 201 and five 200s, and an audit row each', async () => {
    const site = await createSite(app);
    const member = await createUser(app);
    const url = `/api/sites/${site.id}/members/${member.id}`;
    const roles = ['viewer', 'technician', 'viewer', 'technician', 'viewer', 'technician'];
    const answers = await Promise.all(
      roles.map((role) => injectAs(app, admin, { method: 'PUT', url, payload: { role } })),
    );
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 200, 201]);
    const rows = await sqlRows<{ role: string }>(
      app,
      'SELECT role FROM site_members WHERE site_id = ? AND user_id = ?',
      [site.id, member.id],
    );
    expect(rows).toHaveLength(1);
    const audit = await sqlRows<{ action: string }>(
      app,
      "SELECT action FROM audit_log WHERE entity_type = 'membership' AND entity_id = ? ORDER BY id",
      [`${site.id}:${member.id}`],
    );
    expect(audit.map((r) => r.action)).toEqual(['create', 'update', 'update', 'update', 'update', 'update']);
    // The last audited change is the role stored.
    const last = await sqlRow<{ after: string }>(
      app,
      "SELECT after FROM audit_log WHERE entity_type = 'membership' AND entity_id = ? ORDER BY id DESC LIMIT 1",
      [`${site.id}:${member.id}`],
    );
    expect(JSON.parse(last!.after).role).toBe(rows[0].role);
  });
});
