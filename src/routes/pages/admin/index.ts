// Administration (admins only; the services refuse everyone else with 403).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { Id } from '../../../schemas/common.js';
import { CreateSiteBody } from '../../../schemas/sites.js';
import { CreateUserBody, UserParams } from '../../../schemas/users.js';
import { requireAdmin } from '../../../services/policy.js';
import { fromForm, serviceErrors, validationErrors, type Errors } from '../form.js';
import { actorOf, redirect, render } from '../render.js';
import sites from './sites.js';
import tokens from './tokens.js';

const ActiveForm = Type.Object({ active: Type.Boolean() }, { additionalProperties: false });
const PasswordForm = Type.Object({ password: CreateUserBody.properties.password }, { additionalProperties: false });
type Forms = {
  user?: { values: object; errors: Errors };
  site?: { values: object; errors: Errors };
  password?: { userId: string; errors: Errors };
  notice?: string;
};

/** Users and sites a page of the admin overview shows; further ones are a link away. */
const PAGE = 50;
/**
 * What the page confirms after an action (`?done=<what>&user=<id>`, set by the redirect): fixed
 * words around the user's name as stored, never text from the URL.
 */
const DONE = {
  'user-created': (name: string) => `${name} can now sign in.`,
  'user-deactivated': (name: string) =>
    `${name} is deactivated and signed out everywhere; their API tokens are revoked.`,
  'user-reactivated': (name: string) => `${name} can sign in again.`,
  'password-set': (name: string) =>
    `${name} has a new password; their sessions have ended and their API tokens are revoked.`,
};
type Done = keyof typeof DONE;
const AdminPages = Type.Object({
  users: Type.Optional(Type.String({ maxLength: 200 })),
  sites: Type.Optional(Type.String({ maxLength: 200 })),
  done: Type.Optional(Type.Union(Object.keys(DONE).map((k) => Type.Literal(k)))),
  user: Type.Optional(Id),
});
type Pages = { users?: string; sites?: string; done?: string; user?: string };
/** The overview at the given page of each list (no cursor: its first page). */
function adminUrl(users: string | undefined, sites: string | undefined, anchor = ''): string {
  const query = new URLSearchParams({ ...(users ? { users } : {}), ...(sites ? { sites } : {}) }).toString();
  return `/admin${query ? `?${query}` : ''}${anchor}`;
}
const doneUrl = (done: Done, userId: string) => `/admin?${new URLSearchParams({ done, user: userId })}#admin-users`;

/** What a form posted for a user deleted since the page was drawn gets, above the list of users. */
const USER_GONE = 'That user no longer exists: someone deleted them meanwhile.';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    forms: Forms = {},
    status = 200,
    pages: Pages = {},
  ) {
    const actor = actorOf(request);
    requireAdmin(actor, 'administer Sitewatt');
    const [users, sites] = await Promise.all([
      app.services.users.list(actor, { limit: PAGE, cursor: pages.users }),
      app.services.sites.list(actor, { limit: PAGE, cursor: pages.sites }),
    ]);
    const data = {
      title: 'Administration',
      users: users.items,
      sites: sites.items,
      // Each list pages on its own; a link keeps the other list where it is.
      more: {
        users: users.nextCursor ? adminUrl(users.nextCursor, pages.sites) : null,
        sites: sites.nextCursor ? adminUrl(pages.users, sites.nextCursor, '#admin-sites') : null,
        firstUsers: pages.users ? adminUrl(undefined, pages.sites) : null,
        firstSites: pages.sites ? adminUrl(pages.users, undefined, '#admin-sites') : null,
      },
      user: forms.user ?? { values: { email: '', name: '', password: '', isAdmin: false }, errors: {} },
      site: forms.site ?? { values: { name: '', description: '', timezone: 'UTC' }, errors: {} },
      password: forms.password ?? null,
      notice: forms.notice ?? (await passwordNotice(request, forms.password, users.items)),
      done: await doneText(request, pages),
    };
    return render(request, reply, { page: 'pages/admin/index', partial: 'partials/admin/overview' }, data, status);
  }

  /**
   * A refused password reset is shown beside its form; when that user is not on the first page
   * drawn again (or is gone since), above the list instead.
   */
  async function passwordNotice(
    request: FastifyRequest,
    password: Forms['password'],
    shown: { id: string }[],
  ): Promise<string | null> {
    if (!password || shown.some((u) => u.id === password.userId)) return null;
    const user = await app.services.users.find(actorOf(request), password.userId);
    return user
      ? `The password of ${user.name} was not changed: it ${Object.values(password.errors).join('; ')}.`
      : USER_GONE;
  }

  async function doneText(request: FastifyRequest, pages: Pages): Promise<string | null> {
    if (!pages.done || !pages.user || !(pages.done in DONE)) return null;
    const user = await app.services.users.find(actorOf(request), pages.user);
    return user ? DONE[pages.done as Done](user.name) : null;
  }

  app.get('/admin', { schema: { querystring: AdminPages } }, async (request, reply) =>
    show(request, reply, {}, 200, request.query),
  );

  app.post(
    '/admin/users',
    { schema: { body: CreateUserBody }, attachValidation: true, preValidation: fromForm(CreateUserBody) },
    async (request, reply) => {
      let errs = validationErrors(request);
      if (!errs) {
        try {
          const user = await app.services.users.create(actorOf(request), request.body);
          return redirect(request, reply, doneUrl('user-created', user.id));
        } catch (err) {
          errs = serviceErrors(err, { SW_EMAIL_TAKEN: '/email' });
        }
      }
      return show(request, reply, { user: { values: { ...request.body, password: '' }, errors: errs } }, 422);
    },
  );

  app.post(
    '/admin/users/:userId/active',
    { schema: { params: UserParams, body: ActiveForm }, preValidation: fromForm(ActiveForm) },
    async (request, reply) => {
      try {
        await app.services.users.update(actorOf(request), request.params.userId, { active: request.body.active });
      } catch (err) {
        if (err instanceof errors.USER_NOT_FOUND) return show(request, reply, { notice: USER_GONE }, 409);
        throw err;
      }
      return redirect(
        request,
        reply,
        doneUrl(request.body.active ? 'user-reactivated' : 'user-deactivated', request.params.userId),
      );
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
      const invalid = validationErrors(request);
      if (invalid) return show(request, reply, { password: { userId: request.params.userId, errors: invalid } }, 422);
      try {
        await app.services.users.update(actorOf(request), request.params.userId, { password: request.body.password });
      } catch (err) {
        if (err instanceof errors.USER_NOT_FOUND) return show(request, reply, { notice: USER_GONE }, 409);
        throw err;
      }
      return redirect(request, reply, doneUrl('password-set', request.params.userId));
    },
  );

  app.post(
    '/admin/sites',
    { schema: { body: CreateSiteBody }, attachValidation: true, preValidation: fromForm(CreateSiteBody) },
    async (request, reply) => {
      let errs = validationErrors(request);
      if (!errs) {
        try {
          const site = await app.services.sites.create(actorOf(request), request.body);
          return redirect(request, reply, `/admin/sites/${site.id}`);
        } catch (err) {
          errs = serviceErrors(err);
        }
      }
      return show(request, reply, { site: { values: request.body, errors: errs } }, 422);
    },
  );

  await app.register(sites);
  await app.register(tokens);
};

export default routes;
