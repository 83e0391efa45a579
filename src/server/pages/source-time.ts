import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toSnagError } from '../../core/errors.js';
import { ensureWebhook, rotateWebhook } from '../../engine/webhooks/secret.js';
import { applyModelsFor, freshnessOf } from '../api/data-source-time.js';
import { recentChangesSection } from '../components/error-history.js';
import { freshnessSection } from '../components/freshness.js';
import { recentChanges, type RecentChange } from '../overview/history.js';
import type { Source } from '../../store/models.js';
import { safeNext } from '../auth.js';
import { can } from '../can.js';
import { WEBHOOK_PANEL_ID, webhookPanel } from '../components/webhook-panel.js';
import { webhookView } from '../hooks/api.js';
import { csrfInput, formError, submitButton } from '../components/form.js';
import { serverHintOf } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { pushFlash } from '../sessions.js';
import { pageHeading } from './layout.js';
import { isFetch, redirectByFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';

/**
 * The source page's actions about time, as plain form POSTs (app.js sends them by fetch): the webhook's switch, its
 * rotation (confirmed on a page of its own first: the old URL stops working at once), and "Create analytics views",
 * which applies the views to the source's destination as the API's `models` does.
 */

type IdParams = { Params: { id: string } };

export function registerSourceTimePages(app: FastifyInstance): void {
  const store = () => app.snag.runtime.store;
  const backToPanel = (id: string) => `/sources/${id}#${WEBHOOK_PANEL_ID}`;

  for (const action of ['enable', 'disable'] as const) {
    app.post<IdParams>(`/sources/:id/webhook/${action}`, async (request, reply) => {
      const s = await store().sources.findByNameOrId(request.params.id);
      await ensureWebhook(app.snag.runtime, s.id);
      await store().webhooks.setEnabled(s.id, action === 'enable');
      const message =
        action === 'enable'
          ? `The webhook of "${s.name}" is on: Bugsnag's messages are accepted.`
          : `The webhook of "${s.name}" is off: its URL refuses messages until you switch it on (syncs go on as before).`;
      return panelDone(app, request, reply, s.id, message);
    });
  }

  app.get<IdParams>('/sources/:id/webhook/rotate', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    return sendPage(request, reply, {
      title: `Rotate the webhook URL of ${s.name}`,
      active: 'sources',
      body: (ctx) => html`<section class="form-page" aria-labelledby="page-title">
${pageHeading(`Rotate the webhook URL of ${s.name}?`)}
<form method="post" action="/sources/${s.id}/webhook/rotate" data-enhance data-form="webhook-rotate">
${csrfInput(ctx.csrf ?? '')}
${formError(null)}
<div class="warning" role="note">
<p><strong>The current URL stops working at once:</strong> Bugsnag's messages to it are refused until you paste the new URL into each project's webhook settings in Bugsnag.</p>
<p>Nothing is lost meanwhile: the next sync reads whatever a refused message carried.</p>
</div>
<div class="form-actions">
<a class="button" href="${backToPanel(s.id)}" data-close>Cancel</a>
${submitButton('Rotate the URL', { className: 'button danger', busyLabel: 'Rotating…' })}
</div>
</form>
</section>`,
    });
  });

  app.post<IdParams>('/sources/:id/webhook/rotate', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    await rotateWebhook(app.snag.runtime, s.id);
    return panelDone(
      app,
      request,
      reply,
      s.id,
      `The webhook URL of "${s.name}" was replaced: the old one no longer works. Give Bugsnag the new one.`,
    );
  });

  app.post<IdParams>('/sources/:id/models', async (request, reply) => {
    const s = await store().sources.findByNameOrId(request.params.id);
    const returnTo = backTo(request, `/sources/${s.id}`);
    try {
      const r = await applyModelsFor(app.snag, s);
      const created = r.views.filter((v) => v.status === 'created').map((v) => v.name);
      const skipped = r.views.filter((v) => v.status === 'skipped');
      const message = `Analytics views in ${r.location}: ${created.length ? `created ${created.join(', ')}` : 'none created'}${skipped.length ? `; skipped ${skipped.map((v) => `${v.name} (${v.reason})`).join('; ')}` : ''}.`;
      return done(request, reply, returnTo, message);
    } catch (err) {
      const e = toSnagError(err);
      if (!['conflict', 'config', 'destination'].includes(e.code)) throw err;
      const hint = serverHintOf(e);
      if (isFetch(request))
        return sendFormResult(reply, e.code === 'config' ? 400 : 409, {
          ok: false,
          error: e.code,
          fields: {},
          formError: { message: e.message, ...(hint ? { hint } : {}) },
          clear: [],
        });
      if (request.auth.kind === 'session')
        pushFlash(request.auth.session, 'error', `${e.message}${hint ? ` ${hint}` : ''}`);
      return reply.redirect(returnTo, 303);
    }
  });
}

/**
 * The source's Webhook panel as this request sees it: the URL's origin is the one the page was reached at (the
 * server has no setting for its public address; behind a proxy, the Host it forwards).
 */
export async function webhookPanelFor(app: FastifyInstance, request: FastifyRequest, sourceId: string) {
  const view = await webhookView(app.snag, await ensureWebhook(app.snag.runtime, sourceId));
  const csrf = request.auth.kind === 'session' ? request.auth.session.csrfToken : '';
  return webhookPanel(
    { sourceId, ...view, url: `${request.protocol}://${request.host}${view.path}` },
    { csrf, now: app.snag.now(), manage: can(request, 'sources:write') },
  );
}

/** How many changed errors the source page lists. */
const RECENT_CHANGES = 10;

/**
 * The source page's sections about time: the Webhook panel, Freshness per stream and the errors that changed last
 * (linked to their history). A destination that cannot be read is said in its section; the page still renders.
 */
export async function sourceTimeSections(app: FastifyInstance, request: FastifyRequest, s: Source): Promise<SafeHtml> {
  const now = app.snag.now();
  const [panel, freshness] = await Promise.all([webhookPanelFor(app, request, s.id), freshnessOf(app.snag, s)]);
  let changes: RecentChange[] | null = null;
  let problem: string | null = null;
  try {
    changes = await recentChanges(s.destination, RECENT_CHANGES);
  } catch (err) {
    problem = toSnagError(err).message;
  }
  return html`${panel}
${freshnessSection(freshness, now)}
${problem ? html`<section class="recent-changes" id="error-history"><h2>Error history</h2><div class="warning" role="note"><p><strong>The destination could not be read:</strong> ${problem}</p></div></section>` : recentChangesSection(s.id, changes, now)}`;
}

/** After a webhook action: by fetch, the panel is replaced in place (the page is already there); else back to it. */
async function panelDone(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  sourceId: string,
  message: string,
): Promise<FastifyReply> {
  if (!isFetch(request)) return redirectWithFlash(request, reply, `/sources/${sourceId}#${WEBHOOK_PANEL_ID}`, message);
  const panel = await webhookPanelFor(app, request, sourceId);
  return sendFormResult(reply, 200, {
    ok: true,
    message,
    panels: [{ id: WEBHOOK_PANEL_ID, html: panel.value, replace: 'outer' }],
  });
}

function done(request: FastifyRequest, reply: FastifyReply, to: string, message: string): FastifyReply {
  return isFetch(request)
    ? redirectByFetch(request, reply, 200, to, message)
    : redirectWithFlash(request, reply, to, message);
}

function backTo(request: FastifyRequest, fallback: string): string {
  const b = request.body;
  const r = b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>).return_to : undefined;
  return typeof r === 'string' && r !== '' ? safeNext(r) : fallback;
}
