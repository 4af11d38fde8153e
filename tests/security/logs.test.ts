// Logs: no password, password hash, token or cookie value in any log line,
// at the most verbose level, through sign-in, token creation, bearer use, a failed sign-in, logout.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildTestApp, createUser, PASSWORD } from '../helpers/app.js';
import { sqlOf } from '../helpers/sql.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('Logs', () => {
  it('When a user signs in, creates a token, uses it, signs out, and someone fails to sign in, then no secret appears in any log line', async () => {
    const { lines, stream } = capture();
    // Only the stream is ours: level and redaction are the app's own (buildApp merges logger options).
    const app = await buildTestApp({ logLevel: 'trace' }, { logger: { stream } });
    try {
      const user = await createUser(app, { email: 'log-me@example.com' });
      const hash = await sqlOf(app).value<string>('SELECT password_hash AS h FROM users WHERE id = ?', user.id);
      const wrong = 'wrong-password-0123456789';

      const login = await app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: user.email, password: PASSWORD },
      });
      expect(login.statusCode).toBe(200);
      const cookie = login.cookies.find((c) => c.name === 'sitewatt.sid')!;
      const cookieHeader = `${cookie.name}=${cookie.value}`;
      const created = await app.inject({
        method: 'POST',
        url: '/api/me/tokens',
        headers: { cookie: cookieHeader },
        payload: { name: 'ci' },
      });
      expect(created.statusCode).toBe(201);
      const token = created.json().token as string;
      expect(
        (await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}` } })).statusCode,
      ).toBe(200);
      expect(
        (await app.inject({ method: 'GET', url: '/api/me', headers: { authorization: `Bearer ${token}x` } }))
          .statusCode,
      ).toBe(401);
      expect(
        (await app.inject({ method: 'POST', url: '/api/auth/login', payload: { email: user.email, password: wrong } }))
          .statusCode,
      ).toBe(401);
      // A body that fails validation is echoed nowhere either.
      expect(
        (
          await app.inject({
            method: 'POST',
            url: '/api/auth/login',
            payload: { email: user.email, password: wrong, extra: 1 },
          })
        ).statusCode,
      ).toBe(422);
      expect(
        (await app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie: cookieHeader }, payload: {} }))
          .statusCode,
      ).toBe(204);

      expect(lines.length).toBeGreaterThan(10); // the capture works: requests were logged
      // The session id is the part of the signed cookie before the signature dot.
      const sessionId = decodeURIComponent(cookie.value).split('.')[0];
      const secrets = {
        password: PASSWORD,
        wrong,
        hash,
        token,
        tokenBody: token.slice(8),
        cookie: cookie.value,
        sessionId,
        testToken: user.token,
      };
      for (const [name, secret] of Object.entries(secrets)) {
        const leaks = lines.filter((l) => l.includes(secret));
        expect(leaks, `${name} leaked`).toEqual([]);
      }
    } finally {
      await app.close();
    }
  });
});
