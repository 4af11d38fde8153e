import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    htmx: {
      /** Sent by htmx (HX-Request). */
      request: boolean;
      /** Back/forward navigation re-fetching a page: always gets the full page. */
      historyRestore: boolean;
      boosted: boolean;
      /** The URL in the browser's address bar when htmx sent the request. */
      currentUrl: string | null;
      /** True when the response should be the partial the page includes, not the whole page. */
      partial: boolean;
    };
  }
}

const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * What the htmx request headers say, and `Vary: HX-Request` on every HTML response, because one
 * URL serves a full page or a partial. https://htmx.org/essays/why-tend-not-to-use-content-negotiation/
 */
/** The htmx view of a request's headers. */
function readHtmx(request: FastifyRequest): FastifyRequestHtmx {
  const h = request.headers;
  const isHtmx = header(h['hx-request']) === 'true';
  const historyRestore = header(h['hx-history-restore-request']) === 'true';
  // htmx 4 says "full" when it swaps the whole body (boost, hx-select): then it wants the page.
  const full = header(h['hx-request-type']) === 'full';
  return {
    request: isHtmx,
    historyRestore,
    boosted: header(h['hx-boosted']) === 'true',
    currentUrl: header(h['hx-current-url']) ?? null,
    partial: isHtmx && !historyRestore && !full,
  };
}

const parsed = Symbol('htmx');

export default fp(
  async (app) => {
    // Read on first use: JSON routes never look, and a hook per request is not free.
    app.decorateRequest('htmx', {
      getter(this: FastifyRequest & { [parsed]?: FastifyRequestHtmx }) {
        return (this[parsed] ??= readHtmx(this));
      },
    });
  },
  { name: 'htmx' },
);

/** `Vary: HX-Request` on HTML answers; registered where pages are (src/routes/pages/index.ts). */
export async function varyOnHtmx(_request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.startsWith('text/html')) {
    const vary = reply.getHeader('vary');
    const list = typeof vary === 'string' ? vary.split(',').map((v) => v.trim()) : [];
    if (!list.some((v) => v.toLowerCase() === 'hx-request'))
      reply.header('vary', [...list.filter(Boolean), 'HX-Request'].join(', '));
  }
  return payload;
}

type FastifyRequestHtmx = FastifyRequest['htmx'];
