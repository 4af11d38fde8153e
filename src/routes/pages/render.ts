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
    csrf: reply.formToken(),
    // Not `new URL(request.url, base)`: a path starting with `//` (served as `/`) would name a host there.
    path: request.url.split('?')[0],
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
  const full = !request.htmx.partial;
  // The navigation's badge: one count over the open alarms (a partial index) per full page.
  const activeAlarms = full && request.actor ? await request.server.services.alarms.activeCount(request.actor) : 0;
  const html = await reply.viewAsync(full ? templates.page : templates.partial, {
    ...baseData(request, reply),
    activeAlarms,
    ...data,
  });
  return reply.code(status).type('text/html; charset=utf-8').send(html);
}

/** After a successful form: a 303 for plain forms, a full-page navigation for htmx. */
export function redirect(request: FastifyRequest, reply: FastifyReply, url: string) {
  // Location and HX-Redirect are headers, which Node refuses past U+00FF: every target is encoded.
  const target = localPath(url) ?? '/sites';
  if (request.htmx.request) return reply.header('hx-redirect', target).code(204).send();
  return reply.redirect(target, 303);
}

/**
 * A path on this site as it may go in a header, or null: `url` parsed against a placeholder origin
 * must keep that origin (so `//evil`, `/\\evil`, `https:` and tricks the URL parser would turn into
 * them are refused), and comes back percent-encoded (WHATWG URL encodes everything past U+007E).
 */
const PLACEHOLDER = 'http://sitewatt.invalid';
export function localPath(url: string): string | null {
  // eslint-disable-next-line no-control-regex -- the URL parser would silently drop tabs and newlines
  if (!url.startsWith('/') || /[\u0000-\u001f\u007f]/.test(url)) return null;
  try {
    const parsed = new URL(url, PLACEHOLDER);
    return parsed.origin === PLACEHOLDER ? `${parsed.pathname}${parsed.search}${parsed.hash}` : null;
  } catch {
    return null;
  }
}

/** Where to go after signing in: `next` if it is a path on this site (encoded), else the overview. */
export function safeNext(next: unknown): string {
  return (typeof next === 'string' && localPath(next)) || '/';
}
