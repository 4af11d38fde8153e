// One site's administration: its fields, its deletion and its members.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import { MemberParams, RoleSchema, SetMemberBody, SiteParams, UpdateSiteBody } from '../../../schemas/sites.js';
import { fromForm, serviceErrors, submitForm, type Errors } from '../form.js';
import { redirect, render } from '../render.js';

/** The person from the list (`userId`) or, when there are too many people to list, by `email`. */
const AddMemberForm = Type.Object(
  { userId: Type.Optional(Id), email: Type.Optional(Type.String({ maxLength: 254 })), role: RoleSchema },
  { additionalProperties: false },
);
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
const SitePageQuery = Type.Object({
  done: Type.Optional(Type.Union(Object.keys(DONE).map((k) => Type.Literal(k)))),
  user: Type.Optional(Id),
});
const doneUrl = (siteId: string, done: Done, userId?: string) =>
  `/admin/sites/${siteId}?${new URLSearchParams({ done, ...(userId ? { user: userId } : {}) })}`;

const routes: FastifyPluginAsyncTypebox = async (app) => {
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

  // The member forms offer only valid choices, so what goes wrong here is a stale page (the person
  // or the membership removed meanwhile) or a crafted body: the page again, with the message beside
  // the form it concerns. A site the caller may not administer still answers 403 / 404 (via show).
  app.post(
    '/admin/sites/:siteId/members',
    {
      schema: { params: SiteParams, body: AddMemberForm },
      attachValidation: true,
      preValidation: fromForm(AddMemberForm),
    },
    async (request, reply) => {
      const { siteId } = request.params;
      return submitForm(request, reply, {
        run: () => app.services.sites.addMember(requireActor(request), siteId, request.body),
        done: (member) => doneUrl(siteId, 'member-added', member.userId),
        errorsOf: (err) => memberErrors(err, '/userId'),
        again: (problems) =>
          show(
            request,
            reply,
            siteId,
            {
              memberErrors: Object.fromEntries(Object.entries(problems).map(([k, v]) => [`add${k}`, sentence(k, v)])),
              addEmail: request.body?.email,
            },
            422,
          ),
      });
    },
  );

  app.post(
    '/admin/sites/:siteId/members/:userId',
    {
      schema: { params: MemberParams, body: SetMemberBody },
      attachValidation: true,
      preValidation: fromForm(SetMemberBody),
    },
    async (request, reply) => {
      const { siteId, userId } = request.params;
      return submitForm(request, reply, {
        // Changing a role is for a current member: from a stale page (the person removed, or
        // deleted, meanwhile) it would quietly put them back on the site. Their row is gone, so
        // the message goes above the list.
        check: () => app.services.sites.member(requireActor(request), siteId, userId),
        run: () => app.services.sites.setMember(requireActor(request), siteId, userId, request.body.role),
        done: () => doneUrl(siteId, 'role-changed', userId),
        refused: (err) =>
          err instanceof errors.MEMBER_NOT_FOUND
            ? show(request, reply, siteId, { memberErrors: { '': NOT_A_MEMBER } }, 409)
            : undefined,
        errorsOf: (err) => memberErrors(err, '/userId'),
        again: (problems) => {
          const message = Object.entries(problems)
            .map(([k, v]) => sentence(k, v))
            .join(' ');
          return show(request, reply, siteId, { memberErrors: { [`member/${userId}`]: message } }, 422);
        },
      });
    },
  );

  app.post(
    '/admin/sites/:siteId/members/:userId/remove',
    { schema: { params: MemberParams } },
    async (request, reply) => {
      const { siteId, userId } = request.params;
      return submitForm(request, reply, {
        run: () => app.services.sites.removeMember(requireActor(request), siteId, userId),
        done: () => doneUrl(siteId, 'member-removed', userId),
        errorsOf: (err) => memberErrors(err, ''),
        again: (problems) => show(request, reply, siteId, { memberErrors: problems }, 409),
      });
    },
  );
};

const NOT_A_MEMBER = 'That person is no longer a member of this site: someone removed them meanwhile.';

/** A person or membership gone since the page was drawn becomes a message; anything else is rethrown. */
function memberErrors(err: unknown, userField: string): Errors {
  if (err instanceof errors.USER_NOT_FOUND)
    return { [userField]: 'no longer exists: reload the page to see who is left.' };
  if (err instanceof errors.MEMBER_NOT_FOUND) return { '': NOT_A_MEMBER };
  return serviceErrors(err);
}

/** A field's message ("is required") as a sentence naming the field, as the forms' labels do. */
const sentence = (path: string, message: string) =>
  path === '/userId'
    ? `Person ${message}`
    : path === '/email'
      ? `Email ${message}`
      : path === '/role'
        ? `Role ${message}`
        : message;

export default routes;
