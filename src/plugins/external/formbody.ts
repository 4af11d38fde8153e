import formbody from '@fastify/formbody';
import fp from 'fastify-plugin';

/**
 * HTML forms (application/x-www-form-urlencoded). Registered inside the pages scope only,
 * so /api keeps accepting JSON and nothing else.
 */
export default fp(
  async (app) => {
    await app.register(formbody, { bodyLimit: 256 * 1024 });
  },
  { name: 'formbody' },
);
