import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from '../../errors.js';
import { varyOnHtmx } from '../../plugins/app/htmx.js';
import { sendProblem, sendRetryAfter, toProblem } from '../../plugins/app/problems.js';
import csrf from '../../plugins/external/csrf.js';
import formbody from '../../plugins/external/formbody.js';
import { sessionScope } from '../../plugins/external/session.js';
import account from './account/index.js';
import alarms from './alarms/index.js';
import alarmRules from './alarms/rules.js';
import admin from './admin/index.js';
import devices from './devices/index.js';
import energy from './energy/index.js';
import login from './login/index.js';
import overview from './overview/index.js';
import { baseData } from './render.js';
import sites from './sites/index.js';
import siteIngestKeys from './sites/ingest-keys.js';
import siteWebhooks from './sites/webhooks.js';
import subscriptions from './subscriptions/index.js';

const TITLES: Record<number, string> = {
  400: 'Bad request',
  403: 'Not allowed',
  404: 'Page not found',
  409: 'Conflict',
  412: 'Changed meanwhile',
  422: 'Invalid input',
  429: 'Too many requests',
};

/** Friendly words for what went wrong; 5xx never says more than "our side". */
function explain(status: number, problem: { code: string; detail: string }): string {
  if (problem.code === 'BAD_REQUEST' && /csrf/i.test(problem.detail))
    return 'This form has expired or did not come from Sitewatt. Reload the page and try again.';
  if (status === 404) return 'There is nothing here, or you do not have access to it.';
  if (status === 403) return `You do not have permission for this. ${problem.detail}.`;
  if (status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
  return problem.detail;
}

function loginUrl(request: FastifyRequest) {
  const here =
    pathOf(request, request.htmx.currentUrl) ??
    (request.method === 'GET' ? request.url : pathOf(request, request.headers.referer)) ??
    '/';
  return `/login?next=${encodeURIComponent(here)}`;
}

/**
 * The path of a URL the browser reports (htmx's current URL, the Referer), if it is one of ours:
 * back there after signing in. A malformed or foreign one counts as none.
 */
function pathOf(request: FastifyRequest, url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const from = new URL(url);
    return from.origin === new URL(`${request.protocol}://${request.host}`).origin ? from.pathname : null;
  } catch {
    return null;
  }
}

async function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // Reached from another plugin's scope (a file our assets or Swagger UI's static files cannot find
  // calls the not-found handler for its URL, which is ours): no CSRF, no views there, and no page to
  // show for a missing file either. Problem+json, as everywhere outside the pages.
  if (typeof reply.formToken !== 'function') return sendProblem(error, request, reply);
  const refusal = await request.server.rateLimits.countMissed(request, reply);
  if (refusal) error = refusal as FastifyError;
  // @fastify/csrf-protection's refusals are 403 with their own codes.
  const csrfRefused = error.code?.startsWith('FST_CSRF_');
  const problem = csrfRefused ? { status: 403, code: 'BAD_REQUEST', detail: 'csrf' } : toProblem(error, request);
  if (problem.status === 401)
    return request.htmx.request
      ? reply.header('hx-redirect', loginUrl(request)).code(204).send()
      : reply.redirect(loginUrl(request), 303);
  const data = {
    ...baseData(request, reply),
    status: problem.status,
    title: TITLES[problem.status] ?? 'Something went wrong',
    message: explain(problem.status, problem),
  };
  sendRetryAfter(error, reply);
  const html = await reply.viewAsync(request.htmx.partial ? 'errors/fragment' : 'errors/page', data);
  return reply.code(problem.status).type('text/html; charset=utf-8').send(html);
}

/**
 * The HTML pages (hidden from OpenAPI): forms and CSRF in this scope only, anonymous visitors
 * sent to /login and back, errors as a page or, for htmx, a fragment in place.
 */
const pages: FastifyPluginAsync = async (app) => {
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  // Pages need @fastify/session (sign-in, CSRF tokens): src/plugins/external/session.ts.
  await app.register(sessionScope);
  await app.register(formbody);
  // Before the CSRF check (so added before it): a form posted after the session ended (it expired,
  // or the user signed out in another tab) goes to sign-in and back, not to "this form has
  // expired"; signing out of an ended session has nothing left to do.
  app.addHook('preValidation', async (request, reply) => {
    if (request.actor) return;
    if (request.routeOptions.url === '/logout') return reply.redirect('/login', 303);
    if (request.routeOptions.config?.public) return;
    if (request.htmx.request) return reply.header('hx-redirect', loginUrl(request)).code(204).send();
    return reply.redirect(loginUrl(request), 303);
  });
  await app.register(csrf);

  // One URL serves a page or a partial: https://htmx.org/essays/why-tend-not-to-use-content-negotiation/
  app.addHook('onSend', varyOnHtmx);
  app.setErrorHandler<FastifyError>(renderError);
  app.setNotFoundHandler(async () => {
    throw new errors.NOT_FOUND();
  });

  await app.register(overview);
  await app.register(login);
  await app.register(sites);
  await app.register(siteIngestKeys);
  await app.register(siteWebhooks);
  await app.register(energy);
  await app.register(devices);
  await app.register(subscriptions);
  await app.register(alarms);
  await app.register(alarmRules);
  await app.register(account);
  await app.register(admin);
};

export default pages;
