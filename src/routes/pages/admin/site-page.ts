// One site's administration page, shown by its own routes and again by every form on it.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import type { Errors } from '../form.js';
import { render } from '../render.js';

/** People the add-member form lists; with more than that it asks for an email instead. */
const LISTED = 200;

/** What the page confirms after an action (`?done=<what>[&user=<id>]`): fixed words, stored names. */
const DONE = {
  'site-saved': () => 'The site is saved.',
  'member-added': (name: string, role: string) => `${name} is now a ${role} of this site.`,
  'role-changed': (name: string, role: string) => `${name} is now a ${role} of this site.`,
  'member-removed': (name: string) => `${name} is no longer a member of this site.`,
};
type Done = keyof typeof DONE;
export const SitePageQuery = Type.Object({
  done: Type.Optional(Type.Union(Object.keys(DONE).map((k) => Type.Literal(k)))),
  user: Type.Optional(Id),
});
export const doneUrl = (siteId: string, done: Done, userId?: string) =>
  `/admin/sites/${siteId}?${new URLSearchParams({ done, ...(userId ? { user: userId } : {}) })}`;

export function sitePage(app: FastifyInstance) {
  /**
   * The page; `errors` are the details form's, `memberErrors` the member forms' ('add/…' for the
   * add form's fields, 'member/<userId>' for a member's row, '' above the list).
   */
  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    siteId: string,
    form: {
      values?: object;
      errors?: Errors;
      memberErrors?: Errors;
      addEmail?: string;
      done?: { what?: string; user?: string };
    } = {},
    status = 200,
  ) {
    const actor = requireActor(request);
    const members = await app.services.sites.members(actor, siteId);
    const site = await app.services.sites.get(actor, siteId);
    const listed = await app.services.users.list(actor, { limit: LISTED });
    // Admins see every site already: offering them as members would only add noise.
    const users = listed.items.filter((u) => !u.isAdmin && !members.some((m) => m.userId === u.id));
    const data = {
      title: `Administer ${site.name}`,
      site,
      members,
      users,
      done: await doneText(request, form.done, members),
      byEmail: listed.nextCursor !== null,
      addEmail: form.addEmail ?? '',
      values: form.values ?? site,
      errors: form.errors ?? {},
      memberErrors: form.memberErrors ?? {},
    };
    return render(request, reply, { page: 'pages/admin/site', partial: 'partials/admin/site' }, data, status);
  }

  /** Members' names come from the list; a removed member's from the user (admins only, like the page). */
  async function doneText(
    request: FastifyRequest,
    done: { what?: string; user?: string } | undefined,
    members: { userId: string; name: string; role: string }[],
  ): Promise<string | null> {
    if (!done?.what || !(done.what in DONE)) return null;
    if (done.what === 'site-saved') return DONE['site-saved']();
    const member = members.find((m) => m.userId === done.user);
    if (done.what !== 'member-removed')
      return member ? DONE[done.what as 'member-added'](member.name, member.role) : null;
    if (member || !done.user) return null;
    const user = await app.services.users.find(requireActor(request), done.user);
    return user ? DONE['member-removed'](user.name) : null;
  }

  return show;
}
