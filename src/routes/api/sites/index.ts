import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { requireActor } from '../../../plugins/app/auth.js';
import { NoContent, PageOf, PageQuery, pickProblems } from '../../../schemas/common.js';
import { SiteLatestItem } from '../../../schemas/metrics.js';
import {
  AuditEntrySchema,
  CreateSiteBody,
  MemberParams,
  MemberSchema,
  SetMemberBody,
  SiteParams,
  SiteSchema,
  UpdateSiteBody,
} from '../../../schemas/sites.js';

const tags = ['sites'];

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '',
    {
      schema: {
        tags,
        summary: 'Sites you can see (admins: all), by name',
        querystring: Type.Object(
          {
            ...PageQuery.properties,
            q: Type.Optional(Type.String({ maxLength: 120, description: 'Filter by name (contains)' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(SiteSchema), ...pickProblems(400, 401) },
      },
    },
    async (request) => app.services.sites.list(requireActor(request), request.query),
  );

  app.post(
    '',
    {
      schema: {
        tags,
        summary: 'Create a site (admins)',
        body: CreateSiteBody,
        response: { 201: SiteSchema, ...pickProblems(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const site = await app.services.sites.create(requireActor(request), request.body);
      return reply.code(201).header('location', `/api/sites/${site.id}`).send(site);
    },
  );

  app.get(
    '/:siteId',
    {
      schema: {
        tags,
        summary: 'A site, with your role and its device count',
        params: SiteParams,
        response: { 200: SiteSchema, ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => app.services.sites.get(requireActor(request), request.params.siteId),
  );

  app.patch(
    '/:siteId',
    {
      schema: {
        tags,
        summary: 'Change a site (admins)',
        params: SiteParams,
        body: UpdateSiteBody,
        response: { 200: SiteSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request) => app.services.sites.update(requireActor(request), request.params.siteId, request.body),
  );

  app.delete(
    '/:siteId',
    {
      schema: {
        tags,
        summary: 'Delete a site with its devices, metrics and readings (admins)',
        params: SiteParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.services.sites.delete(requireActor(request), request.params.siteId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:siteId/latest',
    {
      schema: {
        tags: ['metrics'],
        summary: 'Every metric of the site with its latest value',
        params: SiteParams,
        response: { 200: Type.Object({ items: Type.Array(SiteLatestItem) }), ...pickProblems(400, 401, 404) },
      },
    },
    async (request) => ({ items: await app.services.metrics.siteLatest(requireActor(request), request.params.siteId) }),
  );

  app.get(
    '/:siteId/members',
    {
      schema: {
        tags,
        summary: 'Members of a site (admins)',
        params: SiteParams,
        response: { 200: Type.Object({ items: Type.Array(MemberSchema) }), ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) => ({ items: await app.services.sites.members(requireActor(request), request.params.siteId) }),
  );

  app.put(
    '/:siteId/members/:userId',
    {
      schema: {
        tags,
        summary: 'Add a member or change their role (admins)',
        params: MemberParams,
        body: SetMemberBody,
        response: { 200: MemberSchema, 201: MemberSchema, ...pickProblems(400, 401, 403, 404, 422) },
      },
    },
    async (request, reply) => {
      const { member, created } = await app.services.sites.setMember(
        requireActor(request),
        request.params.siteId,
        request.params.userId,
        request.body.role,
      );
      return reply.code(created ? 201 : 200).send(member);
    },
  );

  app.delete(
    '/:siteId/members/:userId',
    {
      schema: {
        tags,
        summary: 'Remove a member (admins)',
        params: MemberParams,
        response: { 204: NoContent, ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await app.services.sites.removeMember(requireActor(request), request.params.siteId, request.params.userId);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:siteId/audit',
    {
      schema: {
        tags,
        summary: 'Audit trail of the site, newest first (technicians and admins)',
        description:
          'Membership changes (who joined or left, with which role) are listed only for those who may read the members: admins.',
        params: SiteParams,
        querystring: Type.Object(
          { ...PageQuery.properties, entityId: Type.Optional(Type.String({ maxLength: 200 })) },
          { additionalProperties: false },
        ),
        response: { 200: PageOf(AuditEntrySchema), ...pickProblems(400, 401, 403, 404) },
      },
    },
    async (request) => app.services.sites.audit(requireActor(request), request.params.siteId, request.query),
  );
};

export default routes;
