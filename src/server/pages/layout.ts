import type { FastifyRequest } from 'fastify';
import { canFor, type Can } from '../can.js';
import { attrs, html, type SafeHtml } from '../html.js';
import type { Permission } from '../permissions.js';
import { takeFlash, type Flash } from '../sessions.js';
import type { Assets } from '../static-files.js';

/**
 * The page shell every screen shares: skip link, header with the navigation, flash messages, the main region, the
 * one dialog the overlays open in, and a live region for announcements. Pages render only their `<main>` content
 * and call `layout` (through `sendPage` in respond.ts, which also serves the bare content as a fragment for the
 * dialog).
 */

export type NavArea = 'overview' | 'sources' | 'runs' | 'destinations' | 'credentials' | 'users' | 'tokens' | 'audit';

/**
 * The navigation, in order. A successor adds an area here and a page module in pages/index.ts. A link shows only to
 * those who hold its page's permission.
 */
export const NAV: ReadonlyArray<{ area: NavArea; label: string; href: string; permission: Permission }> = [
  { area: 'overview', label: 'Overview', href: '/', permission: 'read' },
  { area: 'sources', label: 'Sources', href: '/sources', permission: 'read' },
  { area: 'runs', label: 'Runs', href: '/runs', permission: 'read' },
  { area: 'destinations', label: 'Destinations', href: '/destinations', permission: 'read' },
  { area: 'credentials', label: 'Credentials', href: '/credentials', permission: 'credentials:read' },
  { area: 'users', label: 'Users', href: '/users', permission: 'users:manage' },
  { area: 'tokens', label: 'API tokens', href: '/tokens', permission: 'tokens:manage' },
  { area: 'audit', label: 'Audit', href: '/audit', permission: 'audit:read' },
];

/** What a page needs from the request to render: the CSRF token for its forms, flash messages, asset URLs. */
export interface PageContext {
  /** Null on pages served without a session (login). */
  csrf: string | null;
  flash: Flash[];
  assets: Assets;
  path: string;
  now: number;
  /** Whether the viewer holds a permission (can.ts): pages leave out the controls they may not use. */
  can: Can;
}

/** Builds the context (and consumes the session's flash messages: they are shown once). */
export function pageContext(request: FastifyRequest): PageContext {
  const auth = request.auth;
  const session = auth.kind === 'session' ? auth.session : null;
  return {
    csrf: session?.csrfToken ?? null,
    flash: takeFlash(session),
    assets: request.server.snag.assets,
    path: request.url,
    now: request.server.snag.now(),
    can: canFor(request),
  };
}

export interface LayoutOptions {
  title: string;
  active: NavArea | null;
  body: SafeHtml;
  /** The login page: no navigation, no logout. */
  bare?: boolean;
}

export function layout(ctx: PageContext, options: LayoutOptions): SafeHtml {
  const { assets } = ctx;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · snagsync</title>
${ctx.csrf ? html`<meta name="csrf-token" content="${ctx.csrf}">` : ''}
<link rel="icon" href="${assets.url('favicon.svg')}" type="image/svg+xml">
<link rel="stylesheet" href="${assets.url('app.css')}">
<script src="${assets.url('app.js')}" defer></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<a class="brand" href="/"${attrs({ 'aria-label': 'snagsync home' })}><span class="brand-mark" aria-hidden="true">◆</span> snagsync</a>
${options.bare ? '' : nav(ctx, options.active)}
</header>
${flash(ctx.flash)}
<main id="main" tabindex="-1">
${options.body}
</main>
${options.bare ? '' : dialogShell()}
<div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true"></div>
</body>
</html>
`;
}

function nav(ctx: PageContext, active: NavArea | null): SafeHtml {
  return html`<nav class="site-nav" aria-label="Main">
<ul>${NAV.filter((n) => ctx.can(n.permission)).map(
    (n) =>
      html`<li><a${attrs({ href: n.href, 'aria-current': n.area === active ? 'page' : null })}>${n.label}</a></li>`,
  )}</ul>
${ctx.csrf ? html`<a href="/account" class="account-link">Account</a><form method="post" action="/logout" class="logout"><input type="hidden" name="_csrf" value="${ctx.csrf}"><button type="submit" class="button link">Log out</button></form>` : ''}
</nav>`;
}

function flash(messages: Flash[]): SafeHtml {
  return html`<div class="flash-region" role="status" aria-live="polite" data-flash-region>${messages.map(
    (m) =>
      html`<p class="flash flash-${m.kind}">${m.kind === 'error' ? html`<strong>Error:</strong> ` : ''}${m.text}</p>`,
  )}</div>`;
}

/**
 * The one overlay of the app: app.js fills `#dialog-body` with a page fragment (fetched from the link that opened
 * it), opens it modal, traps focus, closes on Escape and gives focus back to the opener.
 */
function dialogShell(): SafeHtml {
  return html`<dialog id="dialog" class="overlay" aria-modal="true">
<div class="overlay-header"><button type="button" class="button icon" data-close aria-label="Close">×</button></div>
<div id="dialog-body"></div>
</dialog>`;
}

/** A page's heading; `data-dialog-title` marks the heading app.js uses to label the overlay. */
export function pageHeading(text: string, id = 'page-title'): SafeHtml {
  return html`<h1 id="${id}" data-dialog-title>${text}</h1>`;
}
