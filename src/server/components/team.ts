import { html, type SafeHtml } from '../html.js';
import { csrfInput, formError, submitButton } from './form.js';

/**
 * Pieces the Users and API tokens pages share: a secret shown once (an invitation link, a new token) in a read-only
 * field with Copy, and a confirmation page for a removal. Neither needs the script: the field can be selected by
 * hand, and the confirmation is a page of its own with a plain form.
 */

/**
 * A secret shown once: its field, a Copy button (app.js shows and wires `[data-copy]`) and a warning that it will not
 * be shown again. `id` names the field; the page is answered with `Cache-Control: no-store` like every page.
 */
export function onceSecret(o: { id: string; label: string; value: string; warning: string }): SafeHtml {
  return html`<div class="once-secret" data-once-secret>
<div class="copy-field">
<label for="${o.id}" id="${o.id}-label">${o.label}</label>
<div class="copy-row"><input id="${o.id}" class="copy-input" type="text" readonly value="${o.value}" spellcheck="false" autocomplete="off" aria-describedby="${o.id}-warning"><button type="button" class="button" data-copy="${o.id}" hidden>Copy</button></div>
<p class="muted" data-copy-status="${o.id}" role="status" aria-live="polite"></p>
</div>
<p class="warning" role="note" id="${o.id}-warning"><strong>${o.warning}</strong></p>
</div>`;
}

/** A page that asks before a removal: what happens, Cancel, and the button that does it. */
export function confirmPage(o: {
  heading: SafeHtml;
  action: string;
  csrf: string | null;
  problem: { message: string; hint?: string } | null;
  consequences: SafeHtml;
  cancelHref: string;
  button: string;
  busy: string;
}): SafeHtml {
  return html`<section class="form-page" aria-labelledby="page-title">
${o.heading}
<form method="post" action="${o.action}">
${csrfInput(o.csrf ?? '')}
${formError(o.problem)}
<div class="warning" role="note">${o.consequences}</div>
<div class="form-actions">
<a class="button" href="${o.cancelHref}">Cancel</a>
${submitButton(o.button, { className: 'button danger', busyLabel: o.busy })}
</div>
</form>
</section>`;
}
