import formbody from '@fastify/formbody';
import fp from 'fastify-plugin';

/**
 * HTML forms (application/x-www-form-urlencoded). Registered inside the pages scope only,
 * so /api keeps accepting JSON and nothing else, and the pages take forms and nothing else (415):
 * a page re-renders what was posted, and a JSON body could post any type for any field.
 */
export default fp(
  async (app) => {
    app.removeAllContentTypeParsers();
    await app.register(formbody, { bodyLimit: 256 * 1024 });
  },
  { name: 'formbody' },
);
