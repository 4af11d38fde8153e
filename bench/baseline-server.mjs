// The bare-route baseline of P1 and P2 (docs/performance.md): "a bare Fastify route returning a constant object,
// in the same process". The bench preloads this file into the real server's process
// (`node --import ./bench/baseline-server.mjs dist/server.js`), so both share one event loop, heap
// and garbage collector while the server's own code stays untouched. Plain JavaScript: the full
// bench runs the built server with node, without a TypeScript loader.
import Fastify from 'fastify';
import { body } from './bare-body.mjs';

const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
app.get('/bare', async () => body);
await app.listen({ port: Number(process.env.BENCH_BARE_PORT), host: '127.0.0.1' });
// It does not keep the process alive: the server's graceful shutdown ends it.
app.server.unref();
