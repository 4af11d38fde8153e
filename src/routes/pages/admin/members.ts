// The member forms of a site's administration page: add a person, change a role, remove.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { errors } from '../../../errors.js';
import { requireActor } from '../../../plugins/app/auth.js';
import { Id } from '../../../schemas/common.js';
import { MemberParams, RoleSchema, SetMemberBody, SiteParams } from '../../../schemas/sites.js';
import { fromForm, serviceErrors, submitForm, type Errors } from '../form.js';
import { doneUrl, sitePage } from './site-page.js';

/** The person from the list (`userId`) or, when there are too many people to list, by `email`. */
const AddMemberForm = Type.Object(
  { userId: Type.Optional(Id), email: Type.Optional(Type.String({ maxLength: 254 })), role: RoleSchema },
  { additionalProperties: false },
);

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const show = sitePage(app);

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
