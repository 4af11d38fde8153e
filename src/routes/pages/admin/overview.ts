// The admin overview page, shown by GET /admin and again by every form on it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import type { Errors } from '../form.js';
import { render } from '../render.js';

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
export const AdminPages = Type.Object({
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
export const doneUrl = (done: Done, userId: string) =>
  `/admin?${new URLSearchParams({ done, user: userId })}#admin-users`;

/** What a form posted for a user deleted since the page was drawn gets, above the list of users. */
export const USER_GONE = 'That user no longer exists: someone deleted them meanwhile.';

export function overviewPage(app: FastifyInstance) {
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    forms: Forms = {},
    status = 200,
    pages: Pages = {},
  ) {
    const { users, sites } = await app.services.dashboards.admin(requireActor(request), pages, PAGE);
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
    const user = await app.services.users.find(requireActor(request), password.userId);
    return user
      ? `The password of ${user.name} was not changed: it ${Object.values(password.errors).join('; ')}.`
      : USER_GONE;
  }

  async function doneText(request: FastifyRequest, pages: Pages): Promise<string | null> {
    if (!pages.done || !pages.user || !(pages.done in DONE)) return null;
    const user = await app.services.users.find(requireActor(request), pages.user);
    return user ? DONE[pages.done as Done](user.name) : null;
  }

  return show;
}
