// What each layer of a Sitewatt answer costs against a bare Fastify route (docs/performance.md, P1
// and P2): one process, one bare route per port, each with one more layer. Started by
// bench/layers.ts, with tsx, so the helmet headers come from Sitewatt's own source.
import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import Fastify from 'fastify';
import Type from 'typebox';
import { siteHeaders } from '../src/plugins/external/helmet.js';
import { nullableAsTypeList } from '../src/plugins/app/validation.js';
import { SiteLatestItem } from '../src/schemas/metrics.js';
import { body, siteBody } from './bare-body.mjs';

const SECRET = process.env.LAYERS_SECRET;
// Helmet's 12 headers exactly as Sitewatt sends them (computed once, as there).
const headers = siteHeaders();
// In memory, so the figures show the plugin's own cost, not a database's (the real API reader
// also reads the row from SQLite: a few µs more).
const rows = new Map();
const store = {
  get: (sid, cb) => cb(null, rows.has(sid) ? JSON.parse(rows.get(sid)) : null),
  set: (sid, value, cb) => cb(rows.set(sid, JSON.stringify(value)) && undefined),
  destroy: (sid, cb) => cb(rows.delete(sid) && undefined),
};

const layers = {
  bare: [],
  helmet: ['helmet'],
  'request id': ['reqid'],
  'helmet + request id': ['helmet', 'reqid'],
  '@fastify/session': ['session'],
  'helmet + request id + @fastify/session': ['helmet', 'reqid', 'session'],
  'helmet + request id + own cookie reader': ['helmet', 'reqid', 'reader'],
};
const ports = {};
let port = Number(process.env.LAYERS_PORT);
for (const [name, parts] of Object.entries(layers)) {
  const app = Fastify({
    logger: { level: 'warn' },
    ...(parts.includes('reqid') ? { requestIdHeader: false, genReqId: () => randomUUID() } : {}),
  });
  if (parts.includes('reqid'))
    app.addHook('onRequest', (request, reply, done) => done(reply.header('x-request-id', request.id) && undefined));
  if (parts.includes('helmet'))
    app.addHook('onRequest', (_request, reply, done) => done(reply.headers(headers) && undefined));
  if (parts.includes('session') || parts.includes('reader')) await app.register(cookie, { secret: SECRET });
  if (parts.includes('session')) {
    await app.register(session, {
      secret: SECRET,
      cookieName: 'sid',
      store,
      saveUninitialized: false,
      rolling: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: false, maxAge: 1_800_000, path: '/' },
    });
    app.post('/login', async (request) => {
      request.session.userId = 'u1';
      request.session.createdAt = Date.now();
      return { ok: true };
    });
  }
  if (parts.includes('reader')) {
    // What src/plugins/app/auth.ts does for the API: the HMAC remembered, the row read and parsed.
    const verified = new Map();
    app.addHook('preValidation', async (request) => {
      const value = request.cookies.sid;
      if (!value) return;
      let unsigned = verified.get(value);
      if (!unsigned) verified.set(value, (unsigned = app.unsignCookie(value)));
      if (unsigned.valid && rows.has(unsigned.value)) request.userId = JSON.parse(rows.get(unsigned.value)).userId;
    });
  }
  app.get('/bare', async () => body);
  // P2's bytes without P2's work: a site's 20 metrics through Sitewatt's response schema, as its
  // serializer compiler prepares it, and the same answer serialised once.
  const siteSchema = nullableAsTypeList(Type.Object({ items: Type.Array(SiteLatestItem) }));
  app.get('/site', { schema: { response: { 200: siteSchema } } }, async () => siteBody);
  const siteJson = JSON.stringify(siteBody);
  app.get('/site-once', async (_request, reply) => reply.type('application/json; charset=utf-8').send(siteJson));
  await app.listen({ port, host: '127.0.0.1' });
  ports[name] = port++;
}
process.on('SIGINT', () => process.exit(0));
console.log(JSON.stringify(ports));
