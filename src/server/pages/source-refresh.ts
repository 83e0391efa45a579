import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toSnagError } from '../../core/errors.js';
import { dataSourceOf } from '../api/data-sources.js';
import { csrfInput, formError, submitButton } from '../components/form.js';
import { serverHintOf } from '../errors.js';
import { attrs, html } from '../html.js';
import { pushFlash } from '../sessions.js';
import { pageHeading } from './layout.js';
import { isFetch, redirectByFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';

/**
 * Full refresh (a reset) of a source or of one of its streams, from the source page: a page that says what it does
 * and asks first, then a run with `full_refresh` (and that one stream): its checkpoints are set aside, so the run
 * reads everything again from the start date, and upserts by key leave no duplicates. The API does the same with
 * POST /api/data_sources/{id}/runs {"full_refresh": true, "streams": […]}.
 */

type Params = { Params: { id: string } };
type Body = { Body: Record<string, unknown> | undefined };

export function registerSourceRefreshPages(app: FastifyInstance): void {
  const deps = () => app.snag;

  app.get<Params & { Querystring: { stream?: string } }>('/sources/:id/refresh', async (request, reply) => {
    const s = await deps().runtime.store.sources.findByNameOrId(request.params.id);
    const view = await dataSourceOf(deps(), s);
    const chosen = typeof request.query.stream === 'string' ? request.query.stream : '';
    return sendPage(request, reply, {
      title: `Full refresh of ${s.name}`,
      active: 'sources',
      body: (ctx) => html`<section class="form-page" aria-labelledby="page-title">
${pageHeading(`Full refresh of ${s.name}?`)}
<form method="post" action="/sources/${s.id}/refresh" data-form="source-refresh">
${csrfInput(ctx.csrf ?? '')}
${formError(null)}
<div class="field"><label for="refresh-stream">What to read again</label>
<select id="refresh-stream" name="stream" aria-describedby="refresh-stream-help">
<option${attrs({ value: '', selected: chosen === '' })}>Every stream of the source</option>
${view.effective_streams.map((st) => html`<option${attrs({ value: st, selected: chosen === st })}>Only ${st}</option>`)}
</select>
<p class="field-help" id="refresh-stream-help">The other streams keep their checkpoints.</p></div>
<div class="warning" role="note">
<p><strong>The checkpoints are reset:</strong> the run reads everything again from the source's start date, which takes as long as a first sync and spends the token's rate limit as one does.</p>
<p>Rows already in the destination are updated in place (by their keys), not duplicated; nothing is deleted.</p>
</div>
<div class="form-actions">
<a class="button" href="/sources/${s.id}">Cancel</a>
${submitButton('Start the full refresh', { className: 'button danger', busyLabel: 'Starting…' })}
</div>
</form>
</section>`,
    });
  });

  app.post<Params & Body>('/sources/:id/refresh', async (request, reply) => {
    const s = await deps().runtime.store.sources.findByNameOrId(request.params.id);
    const raw = request.body?.stream;
    const stream = typeof raw === 'string' ? raw.trim() : '';
    try {
      const run = await deps().runs.start(s.id, {
        trigger: 'api',
        fullRefresh: true,
        ...(stream ? { streams: [stream] } : {}),
      });
      const to = `/runs/${run.handle.runId}`;
      const message = `The full refresh of "${s.name}"${stream ? ` (${stream})` : ''} has started: it reads everything again.`;
      if (isFetch(request)) return redirectByFetch(request, reply, 202, to, message);
      return redirectWithFlash(request, reply, to, message);
    } catch (err) {
      return refused(request, reply, s.id, err);
    }
  });
}

function refused(request: FastifyRequest, reply: FastifyReply, sourceId: string, err: unknown): FastifyReply {
  const e = toSnagError(err);
  if (!['conflict', 'config'].includes(e.code)) throw err;
  const hint = serverHintOf(e);
  const problem = { message: e.message, ...(hint ? { hint } : {}) };
  if (isFetch(request))
    return sendFormResult(reply, 409, { ok: false, error: e.code, fields: {}, formError: problem, clear: [] });
  if (request.auth.kind === 'session')
    pushFlash(request.auth.session, 'error', `${problem.message}${problem.hint ? ` ${problem.hint}` : ''}`);
  return reply.redirect(`/sources/${sourceId}`, 303);
}
