// Administration (admins only; the services refuse everyone else with 403).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { CreateSiteBody } from '../../../schemas/sites.js';
import { CreateUserBody, UserParams } from '../../../schemas/users.js';
import { requireAdmin } from '../../../services/policy.js';
import { fromForm, serviceErrors, validationErrors, type Errors } from '../form.js';
import { actorOf, redirect, render } from '../render.js';
import sites from './sites.js';

const ActiveForm = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
const PasswordForm = Type.Object({ password: CreateUserBody.properties.password }, { additionalProperties: false });
type Forms = { user?: { values: object; errors: Errors }; site?: { values: object; errors: Errors }; password?: { userId: string; errors: Errors } };

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(request: FastifyRequest, reply: FastifyReply, forms: Forms = {}, status = 200) {
    const actor = actorOf(request);
    requireAdmin(actor, 'administer Sitewatt');
    const [users, sites] = await Promise.all([app.services.users.list(actor, { limit: 200 }), app.services.sites.list(actor, { limit: 200 })]);
    const data = {
      title: 'Administration',
      users: users.items,
      sites: sites.items,
      user: forms.user ?? { values: { email: '', name: '', password: '', isAdmin: false }, errors: {} },
      site: forms.site ?? { values: { name: '', description: '', timezone: 'UTC' }, errors: {} },
      password: forms.password ?? null,
    };
    return render(request, reply, { page: 'pages/admin/index', partial: 'partials/admin/overview' }, data, status);
  }

  app.get('/admin', async (request, reply) => show(request, reply));

  app.post('/admin/users', { schema: { body: CreateUserBody }, attachValidation: true, preValidation: fromForm(CreateUserBody) }, async (request, reply) => {
    let errors = validationErrors(request);
    if (!errors) {
      try {
        await app.services.users.create(actorOf(request), request.body);
        return redirect(request, reply, '/admin');
      } catch (err) {
        errors = serviceErrors(err, { SW_EMAIL_TAKEN: '/email' });
      }
    }
    return show(request, reply, { user: { values: { ...request.body, password: '' }, errors } }, 422);
  });

  app.post('/admin/users/:userId/active', { schema: { params: UserParams, body: ActiveForm }, preValidation: fromForm(ActiveForm) }, async (request, reply) => {
    await app.services.users.update(actorOf(request), request.params.userId, { active: request.body.active });
    return redirect(request, reply, '/admin');
  });

  app.post('/admin/users/:userId/password', { schema: { params: UserParams, body: PasswordForm }, attachValidation: true, preValidation: fromForm(PasswordForm) }, async (request, reply) => {
    const errors = validationErrors(request);
    if (errors) return show(request, reply, { password: { userId: request.params.userId, errors } }, 422);
    await app.services.users.update(actorOf(request), request.params.userId, { password: request.body.password });
    return redirect(request, reply, '/admin');
  });

  app.post('/admin/sites', { schema: { body: CreateSiteBody }, attachValidation: true, preValidation: fromForm(CreateSiteBody) }, async (request, reply) => {
    let errors = validationErrors(request);
    if (!errors) {
      try {
        const site = await app.services.sites.create(actorOf(request), request.body);
        return redirect(request, reply, `/admin/sites/${site.id}`);
      } catch (err) {
        errors = serviceErrors(err);
      }
    }
    return show(request, reply, { site: { values: request.body, errors } }, 422);
  });

  await app.register(sites);
};

export default routes;
