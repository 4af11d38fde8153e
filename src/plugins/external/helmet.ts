import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Security headers with a strict Content-Security-Policy: scripts and styles from our origin only,
 * no inline script, no eval (htmx 4 needs eval only for hx-on / js: values, which we never use).
 *
 * The headers come from helmet (https://helmetjs.github.io), but it runs once per policy at boot
 * rather than per request: @fastify/helmet rebuilds helmet's middleware (parsing every directive)
 * on each request, a visible share of a small API response. Our headers are
 * static (no CSP nonces), so the result of one run is the same for every request.
 */
const strict = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Swagger UI (/docs) sets inline styles and loads data: images; it gets a relaxed style policy and nothing more. */
const docs = {
  ...strict,
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'https://validator.swagger.io'],
};

const options = (directives: typeof strict): HelmetOptions => ({
  contentSecurityPolicy: { useDefaults: false, directives },
  crossOriginEmbedderPolicy: false,
});

/** The headers helmet sets for `opts`, captured from one run of its middleware. */
export function helmetHeaders(opts: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = value),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
  };
  helmet(opts)({} as never, res as never, (err?: unknown) => {
    if (err) throw err;
  });
  return headers;
}

/** The headers every answer but Swagger UI's carries (also measured by bench/layers.ts). */
export const siteHeaders = () => helmetHeaders(options(strict));

/** `/docs`, `/docs/…` or `/docs?…` (Swagger UI), not `/docsX`. */
const isDocs = (url: string) => url.startsWith('/docs') && (url.length === 5 || url[5] === '/' || url[5] === '?');

export default fp(
  async (app) => {
    const site = siteHeaders();
    const swaggerUi = helmetHeaders(options(docs));
    app.addHook('onRequest', (request, reply, done) => {
      reply.headers(isDocs(request.url) ? swaggerUi : site);
      done();
    });
  },
  { name: 'helmet' },
);
