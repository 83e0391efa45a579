import type { CredentialView, Verification } from '../../credentials/index.js';
import { formatDuration } from '../../core/time.js';
import { table } from '../output.js';

/** Human output of `snagsync credentials …` (the --json forms print the views as they are). */

export function credentialTable(views: CredentialView[], now = Date.now()): string {
  const rows = views.map((c) => ({
    name: clip(c.name, 30),
    description: clip(c.description ?? '', 30),
    host: c.host.replace(/^https:\/\//, ''),
    token: `…${c.token_last4}`,
    status: c.verified_status,
    checked: c.verified_at ? ago(c.verified_at, now) : '-',
    organizations: clip(c.organizations.map((o) => o.name).join(', ') || '-', 30),
    sources: String(c.sources_count),
  }));
  return table(rows, ['name', 'description', 'host', 'token', 'status', 'checked', 'organizations', 'sources']);
}

/** The details of one credential, as aligned "label  value" lines. */
export function credentialDetails(c: CredentialView, verification: Verification | null = null): string {
  const lines: Array<[string, string]> = [
    ['id', c.id],
    ['name', c.name],
    ['description', c.description ?? '-'],
    ['connector', 'Bugsnag'],
    ['host', c.host],
    ['token', `…${c.token_last4}`],
    ['status', c.verified_status + (c.verified_at ? ` (checked ${c.verified_at})` : ' (never checked)')],
  ];
  if (c.verify_error) lines.push(['last error', `${c.verify_error.message} [${c.verify_error.error}]`]);
  lines.push(['organizations', c.organizations.length ? c.organizations.map(orgLabel).join(', ') : '-']);
  if (verification) lines.push(['latency', `${verification.latency_ms} ms`]);
  lines.push(['rate limit', rateLimit(c)]);
  lines.push(['sources', String(c.sources_count)]);
  lines.push(['created', c.created_at]);
  lines.push(['updated', c.updated_at]);
  const width = Math.max(...lines.map(([k]) => k.length));
  return lines.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}

function orgLabel(o: CredentialView['organizations'][number]): string {
  return o.slug && o.slug !== o.name ? `${o.name} (${o.slug})` : o.name;
}

function rateLimit(c: CredentialView): string {
  const r = c.rate_limit;
  if (!r || (r.limit === null && r.remaining === null)) return '-';
  const window = windowLabel(r.window_ms);
  if (r.limit !== null && r.remaining !== null)
    return `${r.remaining} of ${r.limit} requests left in ${window} (seen ${r.seen_at})`;
  return r.limit !== null
    ? `${r.limit} requests per ${window.replace(/^the current /, '')}`
    : `${r.remaining} requests left in ${window}`;
}

/**
 * The window the limiter counted in (Bugsnag never says how long its window is: snagsync's limiter is configured,
 * a minute by default): "the current 2 s window"; "the current window" for a check recorded before it was stored.
 */
function windowLabel(ms: number | undefined): string {
  if (ms === undefined) return 'the current window';
  const s = ms / 1000;
  const length = Number.isInteger(s / 60) ? `${s / 60} min` : Number.isInteger(s) ? `${s} s` : formatDuration(ms);
  return `the current ${length} window`;
}

/** One line, at most `max` characters (names and descriptions may hold line breaks). */
function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`;
}

function ago(iso: string, now: number): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = Math.round(ms / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  if (s < 7 * 86_400) return `${Math.round(s / 86_400)} d ago`;
  return iso.slice(0, 10);
}
