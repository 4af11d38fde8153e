// New and edit forms. Fields are the JSON body's: `name` and `metricIds` (one checkbox each).
// An invalid form comes back with 422, the message beside the field and the selection kept.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { requireActor } from '../../../plugins/app/auth.js';
import { CreateSubscriptionBody, SubscriptionParams } from '../../../schemas/subscriptions.js';
import { isForm, submitForm, type Errors } from '../form.js';
import { render } from '../render.js';

interface Values {
  name: string;
  metricIds: string[];
}

/**
 * A form posts `metricIds` once per checked box: the parser gives a string for one, an array for
 * several, nothing for none. The JSON schema wants an array, always. (form.ts's fromForm keeps only
 * the last of repeated fields, which suits its indexed rows, not a checkbox list.)
 */
async function checkboxList(request: FastifyRequest) {
  const body = request.body;
  if (!body || typeof body !== 'object' || !isForm(request)) return;
  const fields = body as Record<string, unknown>;
  fields.metricIds = fields.metricIds === undefined ? [] : ([] as unknown[]).concat(fields.metricIds);
  // Any other field sent twice (a hand-made post): the last one counts, as in fromForm.
  for (const [k, v] of Object.entries(fields)) if (k !== 'metricIds' && Array.isArray(v)) fields[k] = v[v.length - 1];
}

const GONE =
  'A metric you chose is no longer available (it was deleted, or you no longer see its site) and is left out below. Check the choice and save again.';

/** The schema's words, said the way a person would want them beside these two fields. */
function friendly(errs: Errors, values: Values): Errors {
  const out: Errors = {};
  const gone = Object.entries(errs).some(
    ([path, message]) => path.startsWith('/metricIds/') && message.startsWith('Unknown metric'),
  );
  for (const [path, message] of Object.entries(errs)) {
    if (path === '/name')
      out['/name'] = typeof values.name === 'string' && values.name.trim() ? message : 'is required';
    else if (path.startsWith('/metricIds')) {
      const n = Array.isArray(values.metricIds) ? values.metricIds.length : 0;
      // A metric deleted (or a site left) since the page was drawn: the list below no longer has
      // it, so its id would mean nothing to the reader. This says what happened instead.
      if (gone) out['/metricIds'] = GONE;
      else
        out['/metricIds'] =
          n === 0
            ? 'Choose at least one metric.'
            : n > 1000
              ? `Choose at most 1,000 metrics (you chose ${n.toLocaleString('en-GB')}).`
              : `${out['/metricIds'] ? `${out['/metricIds']} ` : ''}${message}.`;
    } else out[path] = message;
  }
  return out;
}

const templates = (mode: 'new' | 'edit') => ({
  page: `pages/subscriptions/${mode}`,
  partial: 'partials/subscriptions/form',
});

const routes: FastifyPluginAsyncTypebox = async (app) => {
  async function showForm(
    request: FastifyRequest,
    reply: FastifyReply,
    opts: { id?: string; values?: Values; errors?: Errors },
    status = 200,
  ) {
    const actor = requireActor(request);
    const sub = opts.id ? await app.services.subscriptions.get(actor, opts.id) : null;
    const values =
      opts.values ?? (sub ? { name: sub.name, metricIds: sub.metrics.map((m) => m.id) } : { name: '', metricIds: [] });
    const data = {
      title: sub ? `Edit ${sub.name}` : 'New subscription',
      mode: sub ? 'edit' : 'new',
      subscription: sub,
      action: sub ? `/subscriptions/${sub.id}` : '/subscriptions',
      sites: await app.services.metrics.catalogue(actor),
      values: { name: values.name ?? '', selected: new Set(values.metricIds ?? []) },
      errors: opts.errors ?? {},
    };
    return render(request, reply, templates(sub ? 'edit' : 'new'), data, status);
  }

  app.get('/subscriptions/new', async (request, reply) => showForm(request, reply, {}));
  app.get('/subscriptions/:subscriptionId/edit', { schema: { params: SubscriptionParams } }, async (request, reply) =>
    showForm(request, reply, { id: request.params.subscriptionId }),
  );

  const form = { body: CreateSubscriptionBody };
  app.post(
    '/subscriptions',
    { schema: form, attachValidation: true, preValidation: checkboxList },
    async (request, reply) =>
      submitForm(request, reply, {
        run: () => app.services.subscriptions.create(requireActor(request), request.body),
        done: (sub) => `/subscriptions/${sub.id}`,
        again: (errs) => showForm(request, reply, { values: request.body, errors: friendly(errs, request.body) }, 422),
      }),
  );

  app.post(
    '/subscriptions/:subscriptionId',
    { schema: { ...form, params: SubscriptionParams }, attachValidation: true, preValidation: checkboxList },
    async (request, reply) => {
      const id = request.params.subscriptionId;
      return submitForm(request, reply, {
        run: () => app.services.subscriptions.update(requireActor(request), id, request.body),
        done: () => `/subscriptions/${id}`,
        again: (errs) =>
          showForm(request, reply, { id, values: request.body, errors: friendly(errs, request.body) }, 422),
      });
    },
  );
};

export default routes;
