import { html, type SafeHtml } from '../html.js';
import { csrfInput } from './form.js';
import { count } from './status.js';
import { timeElement } from './time.js';

/**
 * The source page's Webhook panel: the URL to give Bugsnag (selectable text; app.js adds a Copy button), how to set
 * it up there, the switch, Rotate (a confirmation page first: the old URL stops working) and what the inbox says —
 * last received, received, failed. The URL's last part is the secret: it is shown here by design, to whoever holds
 * the server key, as `snagsync sources webhook` shows it in a terminal.
 */

export interface WebhookPanelView {
  sourceId: string;
  /** The full URL: the origin this page was reached at, and the webhook's path. */
  url: string;
  enabled: boolean;
  /** Off when the server was started with webhooks switched off. */
  receiving: boolean;
  rotated_at: string;
  last_received_at: string | null;
  received: number;
  failed: number;
  pending: number;
}

export const WEBHOOK_PANEL_ID = 'webhook';

/** `manage`: offer the switch and Rotate (`sources:write`); default true. */
export function webhookPanel(w: WebhookPanelView, o: { csrf: string; now: number; manage?: boolean }): SafeHtml {
  const loopback = /^https?:\/\/(127\.|localhost[:/]|\[::1\])/.test(w.url);
  const toggle = w.enabled ? 'disable' : 'enable';
  return html`<section class="webhook-panel" id="${WEBHOOK_PANEL_ID}" aria-labelledby="webhook-title" data-webhook-panel>
<h2 id="webhook-title">Webhook</h2>
<p>Bugsnag can push each new event, state change, comment and release to this server as it happens: rows arrive within seconds instead of at the next sync, without spending the token's requests. Syncs still run, and fill in whatever a message did not carry.</p>
${
  w.receiving
    ? ''
    : html`<div class="warning" role="note"><p><strong>This server does not receive webhooks:</strong> it was started with them switched off, so the URL answers "not found" until it runs with webhooks on.</p></div>`
}
${
  o.manage === false
    ? html`<p class="muted" data-webhook-url-hidden>The webhook URL carries its secret, so only those who may edit this source see it.</p>`
    : html`<div class="copy-field">
<label for="webhook-url">Webhook URL</label>
<div class="copy-row"><input id="webhook-url" class="copy-input" type="text" readonly value="${w.url}" spellcheck="false" autocomplete="off" data-webhook-url><button type="button" class="button" data-copy="webhook-url" hidden>Copy</button></div>
<p class="muted" data-copy-status="webhook-url" role="status" aria-live="polite"></p>
<p class="muted">Its last part is a secret: keep the URL like a password.${loopback ? html` <strong>This page was opened at a loopback address, which Bugsnag cannot reach</strong>: give Bugsnag the address it reaches this server at (over HTTPS), followed by the same path.` : ''}</p>
</div>`
}
<details class="setup-steps">
<summary>Set it up in Bugsnag</summary>
<ol>
<li>In Bugsnag, open each project this source reads, then <strong>Project settings → Integrations → Webhook</strong>.</li>
<li>Paste the URL above.</li>
<li>Tick the triggers: <strong>Every time an error occurs</strong> (the freshest events and errors), <strong>A collaborator changes the state of an error</strong> (status changes, kept in the error history), <strong>comments</strong> and <strong>new release</strong> for those tables. Other triggers are kept as webhook events.</li>
<li>Save, and send Bugsnag's test message if it offers one: <em>Received</em> below counts it.</li>
</ol>
</details>
<dl class="facts webhook-facts">
<div><dt>State</dt><dd data-webhook-state>${w.enabled ? html`<span class="badge badge-verified">On</span> accepting messages` : html`<span class="badge badge-unverified">Off</span> messages are refused (as a wrong URL)`}</dd></div>
<div><dt>Last received</dt><dd data-webhook-last>${w.last_received_at ? timeElement(w.last_received_at, o.now) : 'never'}</dd></div>
<div><dt>Received</dt><dd data-webhook-received>${count(w.received)} (applied ones are kept 7 days)</dd></div>
<div><dt>Failed</dt><dd data-webhook-failed>${count(w.failed)}${w.pending ? html`; ${count(w.pending)} waiting to be applied` : ''}</dd></div>
<div><dt>URL made</dt><dd>${timeElement(w.rotated_at, o.now)}</dd></div>
</dl>
${
  o.manage === false
    ? ''
    : html`<div class="row-actions">
<form method="post" action="/sources/${w.sourceId}/webhook/${toggle}" class="inline-form" data-enhance>${csrfInput(o.csrf)}<button type="submit" class="button" data-busy-label="${w.enabled ? 'Switching off…' : 'Switching on…'}">${w.enabled ? 'Switch the webhook off' : 'Switch the webhook on'}</button></form>
<a class="button danger" href="/sources/${w.sourceId}/webhook/rotate" data-dialog>Rotate the URL…</a>
</div>`
}
</section>`;
}
