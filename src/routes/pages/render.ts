// Shared by every page route: one URL renders the full page or the partial that page includes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { format } from './format.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A page anyone may see (the login page); every other page needs a signed-in user. */
    public?: boolean;
  }
}

export interface Templates {
  /** views/pages/…: calls layout() and includes the partial. */
  page: string;
  /** views/partials/…: what htmx gets for its swap. */
  partial: string;
}

/** What every template may use: who is signed in, the CSRF token, where we are. */
export function baseData(request: FastifyRequest, reply: FastifyReply) {
  const actor = request.actor;
  return {
    actor,
    csrf: reply.generateCsrf(),
    path: new URL(request.url, 'http://x').pathname,
    demo: request.server.config.demo,
    f: format,
  };
}

export async function render(
  request: FastifyRequest,
  reply: FastifyReply,
  templates: Templates,
  data: object,
  status = 200,
) {
  const html = await reply.viewAsync(request.htmx.partial ? templates.partial : templates.page, {
    ...baseData(request, reply),
    ...data,
  });
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** After a successful form: a 303 for plain forms, a full-page navigation for htmx. */
export function redirect(request: FastifyRequest, reply: FastifyReply, url: string) {
  if (request.htmx.request) return reply.header('hx-redirect', url).code(204).send();
  return reply.redirect(url, 303);
}

/** `next` must be a path on this site, never another origin (`//evil`, `/\evil`, `https:`). */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\'))
    return '/sites';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must not reach a Location header
  return /[\u0000-\u001f]/.test(next) ? '/sites' : next;
}
