// Load generation with autocannon on loopback, and the API calls the bench needs to sign in.
import autocannon, { type Result } from 'autocannon';

export interface Load {
  /** Successful responses a second. */
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx responses, errors and timeouts: a figure with any is not trustworthy. */
  failures: number;
}

const summarize = (r: Result): Load => ({
  rps: r['2xx'] / r.duration,
  p50: r.latency.p50,
  p99: r.latency.p99,
  failures: r.non2xx + r.errors + r.timeouts,
});

export async function hammer(
  url: string,
  seconds: number,
  headers: Record<string, string> = {},
  connections = 10,
): Promise<Load> {
  return summarize(await autocannon({ url, duration: seconds, connections, headers }));
}

/** `amount` requests one after another: latency without queueing, however slow the route is. */
export async function sequential(url: string, amount: number, headers: Record<string, string> = {}): Promise<Load> {
  return summarize(await autocannon({ url, connections: 1, amount, timeout: 60, headers }));
}

/**
 * POST /api/auth/login with unknown emails (credential stuffing). `spread`: every request from a
 * different address (X-Forwarded-For; the server trusts loopback as its proxy), as a botnet would,
 * so the per-address rate limit cannot answer for argon2. Reports how the server answered.
 */
export async function loginStorm(
  base: string,
  seconds: number,
  spread: boolean,
  connections = 50,
): Promise<Load & { codes: string }> {
  let n = 0;
  const r = await autocannon({
    url: base,
    duration: seconds,
    connections,
    requests: [
      {
        method: 'POST',
        path: '/api/auth/login',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => {
          const i = n++;
          const headers = spread
            ? { ...req.headers, 'x-forwarded-for': `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }
            : req.headers;
          return {
            ...req,
            headers,
            body: JSON.stringify({ email: `nobody-${i}@sitewatt.test`, password: 'not-the-password' }),
          };
        },
      },
    ],
  });
  const codes = Object.entries(r.statusCodeStats)
    .map(([code, { count }]) => `${count}×${code}`)
    .join(' ');
  // 401 and 429 are the expected answers here; only transport errors count as failures.
  return { ...summarize(r), rps: (r['2xx'] + r.non2xx) / r.duration, failures: r.errors, codes };
}

/**
 * P4: batches of `perRequest` readings over `metricIds`, timestamps a minute apart moving forward
 * from `cursor.ts`, so every reading is new (a replaced reading would be a different workload).
 */
export async function ingestLoad(
  base: string,
  token: string,
  metricIds: string[],
  perRequest: number,
  cursor: { ts: number },
  seconds: number,
) {
  const steps = Math.ceil(perRequest / metricIds.length);
  const next = () => {
    const parts: string[] = [];
    for (let s = 0; s < steps && parts.length < perRequest; s++, cursor.ts += 60_000) {
      const timestamp = new Date(cursor.ts).toISOString();
      for (let i = 0; i < metricIds.length && parts.length < perRequest; i++) {
        parts.push(
          `{"metricId":"${metricIds[i]}","timestamp":"${timestamp}","value":${(Math.random() * 100).toFixed(3)}}`,
        );
      }
    }
    return `{"readings":[${parts.join(',')}]}`;
  };
  const r = await autocannon({
    url: base,
    duration: seconds,
    connections: 2,
    timeout: 30,
    requests: [
      {
        method: 'POST',
        path: '/api/readings',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        setupRequest: (req) => ({ ...req, body: next() }),
      },
    ],
  });
  return { ...summarize(r), readingsPerSecond: (r['2xx'] * perRequest) / r.duration };
}

/** Signs in; returns the session cookie as a Cookie header value. */
export async function login(base: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${email}: ${res.status} ${await res.text()}`);
  return res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
}

export async function createToken(base: string, cookie: string): Promise<string> {
  const res = await fetch(`${base}/api/me/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'bench' }),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** One request that must succeed, so a broken route fails the bench loudly instead of measuring 404s. */
export async function expectOk(url: string, headers: Record<string, string>): Promise<void> {
  const res = await fetch(url, { headers });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
}
