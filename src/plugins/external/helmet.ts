import helmet from '@fastify/helmet';
import fp from 'fastify-plugin';

/**
 * Security headers with a strict Content-Security-Policy: scripts and styles from our origin only,
 * no inline script, no eval (htmx 4 needs eval only for hx-on / js: values, which we never use).
 * https://github.com/fastify/fastify-helmet
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
const docs = { ...strict, 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:', 'https://validator.swagger.io'] };

export default fp(
  async (app) => {
    // Must run before swagger registers /docs: helmet reads the per-route option in its own onRoute hook.
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/docs')) route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: docs } };
    });
    await app.register(helmet, { contentSecurityPolicy: { useDefaults: false, directives: strict }, crossOriginEmbedderPolicy: false });
  },
  { name: 'helmet' },
);
