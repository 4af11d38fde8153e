// Administration (admins only; the services refuse everyone else with 403): users and new sites
// here, the overview page in overview.ts, one site's page in sites.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { requireActor } from '../../../plugins/app/auth.js';
import { CreateSiteBody } from '../../../schemas/sites.js';
import { CreateUserBody, UserParams } from '../../../schemas/users.js';
import { fromForm, submitForm } from '../form.js';
import { AdminPages, doneUrl, overviewPage, USER_GONE } from './overview.js';
import sites from './sites.js';
import tokens from './tokens.js';

const ActiveForm = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
const PasswordForm = Type.Object({ password: CreateUserBody.properties.password }, { additionalProperties: false });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const show = overviewPage(app);

  app.get('/admin', { schema: { querystring: AdminPages } }, async (request, reply) =>
    show(request, reply, {}, 200, request.query),
  );

  /** A form posted for a user deleted since the page was drawn: the page again, with a notice. */
  const userGone = (request: FastifyRequest, reply: FastifyReply) => (err: unknown) =>
    err instanceof errors.USER_NOT_FOUND ? show(request, reply, { notice: USER_GONE }, 409) : undefined;

  app.post(
    '/admin/users',
    { schema: { body: CreateUserBody }, attachValidation: true, preValidation: fromForm(CreateUserBody) },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.users.create(requireActor(request), request.body),
        done: (user) => doneUrl('user-created', user.id),
        fieldFor: { SW_EMAIL_TAKEN: '/email' },
        again: (errors) => show(request, reply, { user: { values: { ...request.body, password: '' }, errors } }, 422),
      }),
  );

  app.post(
    '/admin/users/:userId/active',
    { schema: { params: UserParams, body: ActiveForm }, preValidation: fromForm(ActiveForm) },
    async (request, reply) => {
      const { userId } = request.params;
      const { active } = request.body;
      return submitForm(request, reply, {
        run: () => app.services.users.update(requireActor(request), userId, { active }),
        done: () => doneUrl(active ? 'user-reactivated' : 'user-deactivated', userId),
        refused: userGone(request, reply),
      });
    },
  );

  app.post(
    '/admin/users/:userId/password',
    {
      schema: { params: UserParams, body: PasswordForm },
      attachValidation: true,
      preValidation: fromForm(PasswordForm),
    },
    async (request, reply) => {
      const { userId } = request.params;
      return submitForm(request, reply, {
        run: () => app.services.users.update(requireActor(request), userId, { password: request.body.password }),
        done: () => doneUrl('password-set', userId),
        refused: userGone(request, reply),
        again: (errors) => show(request, reply, { password: { userId, errors } }, 422),
      });
    },
  );

  app.post(
    '/admin/sites',
    { schema: { body: CreateSiteBody }, attachValidation: true, preValidation: fromForm(CreateSiteBody) },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.sites.create(requireActor(request), request.body),
        done: (site) => `/admin/sites/${site.id}`,
        again: (errors) => show(request, reply, { site: { values: request.body, errors } }, 422),
      }),
  );

  await app.register(sites);
  await app.register(tokens);
};

export default routes;
