// One site's administration: its fields and its deletion; its members in members.ts.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { SiteParams, UpdateSiteBody } from '../../../schemas/sites.js';
import { fromForm, submitForm } from '../form.js';
import { redirect, render } from '../render.js';
import members from './members.js';
import { doneUrl, SitePageQuery, sitePage } from './site-page.js';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const show = sitePage(app);

  app.get(
    '/admin/sites/:siteId',
    { schema: { params: SiteParams, querystring: SitePageQuery } },
    async (request, reply) =>
      show(request, reply, request.params.siteId, { done: { what: request.query.done, user: request.query.user } }),
  );

  app.post(
    '/admin/sites/:siteId',
    {
      schema: { params: SiteParams, body: UpdateSiteBody },
      attachValidation: true,
      preValidation: fromForm(UpdateSiteBody),
    },
    async (request, reply) => {
      const { siteId } = request.params;
      return submitForm(request, reply, {
        run: () => app.services.sites.update(requireActor(request), siteId, request.body),
        done: () => doneUrl(siteId, 'site-saved'),
        again: (errors) => show(request, reply, siteId, { values: request.body, errors }, 422),
      });
    },
  );

  app.get('/admin/sites/:siteId/delete', { schema: { params: SiteParams } }, async (request, reply) => {
    const site = await app.services.sites.deletable(requireActor(request), request.params.siteId);
    return render(
      request,
      reply,
      { page: 'pages/admin/site-delete', partial: 'partials/admin/site-delete' },
      { title: `Delete ${site.name}`, site },
    );
  });

  app.post('/admin/sites/:siteId/delete', { schema: { params: SiteParams } }, async (request, reply) => {
    await app.services.sites.delete(requireActor(request), request.params.siteId);
    return redirect(request, reply, '/admin');
  });

  await app.register(members);
};

export default routes;
