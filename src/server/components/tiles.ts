import { serverVerifyError, type CredentialView } from '../../credentials/view.js';
import { bugsnagCredentialType } from '../../credentials/bugsnag-type.js';
import { attrs, classes, html, type SafeHtml } from '../html.js';
import { webAdvice } from '../runs/advice.js';
import { timeElement } from './time.js';

/**
 * Credential tiles (after Nexla's credential list): name, description, connector, host, the token as `…abcd`, and
 * the last validity status — a badge with a word and a symbol, never colour alone — with when it was checked.
 * Two variants share the body: `manageTile` (Credentials page: test, edit, replace token, delete) and `pickTile`
 * (the Authenticate step: a radio to choose the credential a source uses).
 */

export const tileId = (id: string) => `cred-${id}`;

const STATUS_TEXT: Record<CredentialView['verified_status'], { symbol: string; text: string; className: string }> = {
  VERIFIED: { symbol: '✓', text: 'VERIFIED', className: 'badge-verified' },
  FAILED: { symbol: '✕', text: 'FAILED', className: 'badge-failed' },
  UNVERIFIED: { symbol: '?', text: 'UNVERIFIED', className: 'badge-unverified' },
};

export function statusBadge(status: CredentialView['verified_status']): SafeHtml {
  const s = STATUS_TEXT[status];
  return html`<span class="${`badge ${s.className}`}" data-status="${status}"><span aria-hidden="true">${s.symbol}</span> ${s.text}</span>`;
}

function displayHost(host: string): string {
  return host.replace(/^https:\/\//, '');
}

/** The shared body: description, facts and status (the variants render the name themselves). */
function tileBody(c: CredentialView, now: number): SafeHtml {
  return html`${c.description ? html`<p class="tile-description">${c.description}</p>` : html`<p class="tile-description muted">No description</p>`}
<dl class="tile-facts">
<div><dt>Connector</dt><dd>${bugsnagCredentialType.label}</dd></div>
<div><dt>Host</dt><dd class="tile-host">${displayHost(c.host)}</dd></div>
<div><dt>Token</dt><dd><code>…${c.token_last4}</code></dd></div>
<div><dt>Organizations</dt><dd>${c.organizations.length ? c.organizations.map((o) => o.name).join(', ') : '–'}</dd></div>
<div><dt>Sources</dt><dd>${c.sources_count}</dd></div>
</dl>
<div class="tile-status" data-tile-status>
${statusBadge(c.verified_status)}
<span class="checked">${c.verified_at ? html`checked ${timeElement(c.verified_at, now)}` : 'never checked'}</span>
${failure(c)}
</div>`;
}

/** The recorded failure with the web UI's own advice (never the CLI's command). */
function failure(c: CredentialView): SafeHtml | string {
  const e = c.verified_status === 'FAILED' ? serverVerifyError(c.verify_error) : null;
  if (!e) return '';
  const hint = webAdvice(e.hint);
  return html`<p class="tile-error">${e.message}${hint ? html` <span class="error-hint">${hint}</span>` : ''}</p>`;
}

export interface ManageTileOptions {
  now: number;
  csrf: string;
  /** The tile just added or acted on: highlighted, focused on load, announced. */
  selected?: boolean;
  /** Whether to offer Test, Edit, Replace token and Delete (`credentials:write`). Default true. */
  manage?: boolean;
}

export function manageTile(c: CredentialView, options: ManageTileOptions): SafeHtml {
  const id = tileId(c.id);
  const name = html`<span class="visually-hidden"> ${c.name}</span>`;
  return html`<li class="${classes('tile', options.selected && 'is-selected')}" id="${id}" data-tile-id="${c.id}" tabindex="-1"${attrs(
    {
      'aria-labelledby': `${id}-name`,
      'aria-current': options.selected ? 'true' : null,
      'data-selected': options.selected ? 'true' : null,
    },
  )}>
<article>
<h2 class="tile-title" id="${id}-name">${c.name}</h2>
${tileBody(c, options.now)}
${
  options.manage === false
    ? ''
    : html`<div class="tile-actions">
<form method="post" action="/credentials/${c.id}/test" data-enhance class="inline-form">
<input type="hidden" name="_csrf" value="${options.csrf}">
<button type="submit" class="button" data-busy-label="Testing…">Test${name}</button>
</form>
<a class="button" href="/credentials/${c.id}/edit" data-dialog>Edit${name}</a>
<a class="button" href="/credentials/${c.id}/token" data-dialog>Replace token${name}</a>
<a class="button danger" href="/credentials/${c.id}/delete" data-dialog>Delete${name}</a>
</div>`
}
</article>
</li>`;
}

export interface PickTileOptions {
  now: number;
  /** The radio's name in the surrounding form (e.g. `credential_id`). */
  inputName: string;
  checked?: boolean;
}

export function pickTile(c: CredentialView, options: PickTileOptions): SafeHtml {
  const id = tileId(c.id);
  const inputId = `${options.inputName}-${c.id}`;
  return html`<li class="${classes('tile', 'tile-pick', options.checked && 'is-selected')}" id="${id}" data-tile-id="${c.id}">
<div class="tile-pick-head"><input type="radio" class="tile-radio" id="${inputId}" name="${options.inputName}" value="${c.id}"${attrs({ checked: options.checked === true, 'aria-describedby': `${id}-facts` })}>
<label for="${inputId}" class="tile-title tile-pick-label" id="${id}-name">${c.name}</label></div>
<div id="${id}-facts">${tileBody(c, options.now)}</div>
</li>`;
}

/** The "Add Credential" tile: a link to the form page, which app.js opens as the overlay instead. */
export function addTile(href = '/credentials/new'): SafeHtml {
  return html`<li class="tile tile-add" data-add-tile><a href="${href}" data-dialog class="tile-add-link"><span class="tile-add-icon" aria-hidden="true">+</span><span>Add Credential</span></a></li>`;
}
