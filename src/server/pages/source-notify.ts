import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { toSnagError } from '../../core/errors.js';
import { notificationView, removeNotification, setNotification } from '../../engine/notify/settings.js';
import type { NotificationSettings } from '../../store/notifications.js';
import { csrfInput, submitButton } from '../components/form.js';
import { serverHintOf } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { pushFlash } from '../sessions.js';
import { redirectWithFlash } from './respond.js';

/**
 * The source page's "Failure notifications" panel: where the source's failures (and recoveries) are told — a Slack or
 * Teams incoming webhook, shown only as its hint — with a form to set or replace the URL and a Remove button, as plain
 * form POSTs. The URL field is never filled in: the stored one is sealed and is not shown again.
 */

export const NOTIFY_PANEL_ID = 'notification';

type Params = { Params: { id: string } };
type Body = { Body: Record<string, unknown> | undefined };

export function notificationPanel(
  sourceId: string,
  s: NotificationSettings | null,
  o: { csrf: string; manage: boolean },
): SafeHtml {
  const v = s ? notificationView(s) : null;
  const format = v?.format ?? 'slack';
  return html`<section id="${NOTIFY_PANEL_ID}" class="notify-panel" aria-labelledby="notify-title" data-notification="${v ? 'set' : 'none'}">
<h2 id="notify-title">Failure notifications</h2>
${
  v
    ? html`<dl class="facts">
<div><dt>Sent to</dt><dd><code data-notify-hint>${v.url_hint}</code> (${v.format === 'teams' ? 'Microsoft Teams' : 'Slack'})</dd></div>
<div><dt>When</dt><dd>a run fails${v.on_recovery ? ', and when the source recovers' : ''}</dd></div>
<div><dt>Last delivery</dt><dd data-notify-outcome>${v.last_outcome ? `${v.last_outcome}${v.last_sent_at ? ` at ${v.last_sent_at.slice(0, 16).replace('T', ' ')} UTC` : ''}` : 'none yet'}</dd></div>
</dl>`
    : html`<p class="muted">None: a failed run is only shown here and in the Runs list.</p>`
}
${
  o.manage
    ? html`<form method="post" action="/sources/${sourceId}/notification" class="notify-form" data-form="notification">
${csrfInput(o.csrf)}
<div class="field"><label for="notify-url">${v ? 'Replace the incoming webhook URL' : 'Incoming webhook URL'}</label>
<p class="field-help" id="notify-url-help">The URL Slack or Teams gives for an incoming webhook (https). It is stored sealed and never shown again.</p>
<input type="password" id="notify-url" name="url" required autocomplete="off" spellcheck="false" aria-describedby="notify-url-help"></div>
<fieldset class="field"><legend>Format</legend><ul class="checks">
<li><label><input${attrs({ type: 'radio', name: 'format', value: 'slack', checked: format === 'slack' })}> Slack</label></li>
<li><label><input${attrs({ type: 'radio', name: 'format', value: 'teams', checked: format === 'teams' })}> Microsoft Teams (Workflows)</label></li>
</ul></fieldset>
<div class="field"><label><input${attrs({ type: 'checkbox', name: 'on_recovery', value: 'yes', checked: v ? v.on_recovery : true })}> Also tell when the source recovers</label></div>
<div class="form-actions">${submitButton(v ? 'Replace' : 'Save', { busyLabel: 'Saving…' })}</div>
</form>
${v ? html`<form method="post" action="/sources/${sourceId}/notification/remove" class="notify-remove">${csrfInput(o.csrf)}${submitButton('Remove the notification', { className: 'button danger', busyLabel: 'Removing…' })}</form>` : ''}`
    : ''
}
</section>`;
}

export function registerSourceNotifyPages(app: FastifyInstance): void {
  const runtime = () => app.snag.runtime;
  const back = (id: string) => `/sources/${id}#${NOTIFY_PANEL_ID}`;

  app.post<Params & Body>('/sources/:id/notification', async (request, reply) => {
    const s = await runtime().store.sources.findByNameOrId(request.params.id);
    const body = request.body ?? {};
    const url = typeof body.url === 'string' ? body.url : '';
    try {
      await setNotification(runtime(), s.id, {
        url,
        format: body.format === 'teams' ? 'teams' : 'slack',
        on_recovery: body.on_recovery !== undefined && body.on_recovery !== '',
      });
    } catch (err) {
      return refused(request, reply, back(s.id), err);
    }
    return redirectWithFlash(request, reply, back(s.id), `Failures of "${s.name}" will be told to that webhook.`);
  });

  app.post<Params>('/sources/:id/notification/remove', async (request, reply) => {
    const s = await runtime().store.sources.findByNameOrId(request.params.id);
    const removed = await removeNotification(runtime(), s.id);
    return redirectWithFlash(
      request,
      reply,
      back(s.id),
      removed ? `Failures of "${s.name}" are no longer sent anywhere.` : `"${s.name}" had no notification.`,
    );
  });
}

function refused(request: FastifyRequest, reply: FastifyReply, to: string, err: unknown): FastifyReply {
  const e = toSnagError(err);
  if (e.code !== 'config') throw err;
  const hint = serverHintOf(e);
  if (request.auth.kind === 'session')
    pushFlash(request.auth.session, 'error', `${e.message}${hint ? ` ${hint}` : ''}`);
  return reply.redirect(to, 303);
}
