import type { FastifyInstance } from 'fastify';
import { displayDestinationUrl } from '../../destinations/url.js';
import { intervalsTable } from '../components/error-history.js';
import { html } from '../html.js';
import { errorHistory } from '../overview/history.js';
import { pageHeading } from './layout.js';
import { sendPage } from './respond.js';

/**
 * `/sources/{id}/errors/{project_id}/{error_id}/history`: one error's states as the source's destination keeps them in
 * `error_history` — each interval's status, severity, assignee, from → to and what observed it — oldest first. Read
 * from the destination (the synced data), not from Bugsnag; reached from the source page's Error history list.
 */

type Params = { Params: { id: string; project_id: string; error_id: string } };

export function registerErrorHistoryPage(app: FastifyInstance): void {
  app.get<Params>('/sources/:id/errors/:project_id/:error_id/history', async (request, reply) => {
    const s = await app.snag.runtime.store.sources.findByNameOrId(request.params.id);
    const { project_id: projectId, error_id: errorId } = request.params;
    const h = await errorHistory(s.destination, projectId, errorId);
    const name = h?.error?.error_class ?? errorId;
    return sendPage(request, reply, {
      title: `History of ${name}`,
      active: 'sources',
      body: (ctx) => html`<section aria-labelledby="page-title" class="error-history-page">
<p class="breadcrumbs"><a href="/sources/${s.id}">${s.name}</a> › <a href="/sources/${s.id}#error-history">Error history</a></p>
${pageHeading(`History of ${name}`)}
<p class="lede">${h?.error?.message ? html`<span data-error-message>${h.error.message}</span> · ` : ''}project <code>${projectId}</code>, error <code>${errorId}</code>, as synced into <code>${displayDestinationUrl(s.destination)}</code>. A state begins when snagsync observed it: a sync, a status pass, a webhook message or a write-back.</p>
${
  h === null
    ? html`<div class="empty-state" data-empty="history"><p><strong>No error history in this destination yet.</strong> It is kept once the source syncs the errors stream: run the source, and come back.</p></div>`
    : h.intervals.length === 0
      ? html`<div class="empty-state" data-empty="history"><p><strong>No state of this error was recorded.</strong> The source has not synced it (another project, or an error that is not among those it reads).</p></div>`
      : intervalsTable(h.intervals, ctx.now)
}
</section>`,
    });
  });
}
