// One site's administration: its fields, its deletion and its members.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { Id } from '../../../schemas/common.js';
import { MemberParams, RoleSchema, SetMemberBody, SiteParams, UpdateSiteBody } from '../../../schemas/sites.js';
import { fromForm, serviceErrors, validationErrors, type Errors } from '../form.js';
import { actorOf, redirect, render } from '../render.js';

const AddMemberForm = Type.Object({ userId: Id, role: RoleSchema }, { additionalProperties: false });

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(request: FastifyRequest, reply: FastifyReply, siteId: string, form: { values?: object; errors?: Errors } = {}, status = 200) {
    const actor = actorOf(request);
    const members = await app.services.sites.members(actor, siteId); // admins only: 403 / 404 otherwise
    const site = await app.services.sites.get(actor, siteId);
    const users = (await app.services.users.list(actor, { limit: 200 })).items.filter((u) => !members.some((m) => m.userId === u.id));
    const data = { title: `Administer ${site.name}`, site, members, users, values: form.values ?? site, errors: form.errors ?? {} };
    return render(request, reply, { page: 'pages/admin/site', partial: 'partials/admin/site' }, data, status);
  }

  app.get('/admin/sites/:siteId', { schema: { params: SiteParams } }, async (request, reply) => show(request, reply, request.params.siteId));

  app.post('/admin/sites/:siteId', { schema: { params: SiteParams, body: UpdateSiteBody }, attachValidation: true, preValidation: fromForm(UpdateSiteBody) }, async (request, reply) => {
    let errors = validationErrors(request);
    if (!errors) {
      try {
        await app.services.sites.update(actorOf(request), request.params.siteId, request.body);
        return redirect(request, reply, `/admin/sites/${request.params.siteId}`);
      } catch (err) {
        errors = serviceErrors(err);
      }
    }
    return show(request, reply, request.params.siteId, { values: request.body, errors }, 422);
  });

  app.get('/admin/sites/:siteId/delete', { schema: { params: SiteParams } }, async (request, reply) => {
    const actor = actorOf(request);
    await app.services.sites.members(actor, request.params.siteId); // the same admin check as deleting
    const site = await app.services.sites.get(actor, request.params.siteId);
    return render(request, reply, { page: 'pages/admin/site-delete', partial: 'partials/admin/site-delete' }, { title: `Delete ${site.name}`, site });
  });

  app.post('/admin/sites/:siteId/delete', { schema: { params: SiteParams } }, async (request, reply) => {
    await app.services.sites.delete(actorOf(request), request.params.siteId);
    return redirect(request, reply, '/admin');
  });

  app.post('/admin/sites/:siteId/members', { schema: { params: SiteParams, body: AddMemberForm } }, async (request, reply) => {
    await app.services.sites.setMember(actorOf(request), request.params.siteId, request.body.userId, request.body.role);
    return redirect(request, reply, `/admin/sites/${request.params.siteId}`);
  });

  app.post('/admin/sites/:siteId/members/:userId', { schema: { params: MemberParams, body: SetMemberBody } }, async (request, reply) => {
    await app.services.sites.setMember(actorOf(request), request.params.siteId, request.params.userId, request.body.role);
    return redirect(request, reply, `/admin/sites/${request.params.siteId}`);
  });

  app.post('/admin/sites/:siteId/members/:userId/remove', { schema: { params: MemberParams } }, async (request, reply) => {
    await app.services.sites.removeMember(actorOf(request), request.params.siteId, request.params.userId);
    return redirect(request, reply, `/admin/sites/${request.params.siteId}`);
  });
};

export default routes;
