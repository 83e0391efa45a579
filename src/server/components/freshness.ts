import type { z } from 'zod';
import type { FreshnessSchema } from '../api/data-source-time.js';
import { html, type SafeHtml } from '../html.js';
import { exactTime, relativeTime } from './time.js';

/**
 * The source page's Freshness table: per stream, how old the newest row in the destination is (by the records' own
 * time where the stream has an indexed one, else when a sync last wrote), and whether webhook messages feed it — the
 * same figures as `GET /api/data_sources/{id}/freshness`.
 */

type Freshness = z.infer<typeof FreshnessSchema>;

const COLUMN_WORDS: Record<string, string> = {
  _synced_at: 'last written',
  received_at: 'newest event received',
  last_seen_unfiltered: 'newest error seen',
};

export function freshnessSection(f: Freshness, now: number): SafeHtml {
  const w = f.webhook;
  const webhookLine = !w
    ? 'No webhook URL yet: data arrives by syncs only.'
    : !w.receiving
      ? 'This server does not receive webhooks: data arrives by syncs only.'
      : !w.enabled
        ? 'The webhook is switched off: data arrives by syncs only.'
        : w.received === 0
          ? 'No webhook message has arrived yet: data arrives by syncs only.'
          : `Webhook messages arrive: last ${w.last_received_at ? relativeTime(w.last_received_at, now) : 'unknown'}, ${w.received} received, ${w.failed} failed.`;
  return html`<section class="freshness" id="freshness" aria-labelledby="freshness-title">
<h2 id="freshness-title">Freshness</h2>
<p class="muted" data-freshness-webhooks>${webhookLine}</p>
${pollerLine(f.poller, now)}
${f.error ? html`<div class="warning" role="note"><p><strong>The destination could not be read:</strong> ${f.error}</p></div>` : ''}
${
  f.streams.length === 0
    ? ''
    : html`<div class="table-scroll"><table class="data-table freshness-table" data-freshness-table>
<caption class="visually-hidden">Per stream: the newest row in the destination, and whether webhooks feed it</caption>
<thead><tr><th scope="col">Stream</th><th scope="col">Newest row</th><th scope="col">Read from</th><th scope="col">Webhooks</th></tr></thead>
<tbody>${f.streams.map(
        (s) => html`<tr data-stream="${s.stream}"><th scope="row">${s.stream}</th>
<td data-age-seconds="${s.age_seconds === null ? '' : String(s.age_seconds)}">${s.newest_at ? html`<time datetime="${s.newest_at}">${relativeTime(s.newest_at, now)} <span class="exact-time">(${exactTime(s.newest_at)})</span></time>` : html`<span class="muted">no rows yet</span>`}</td>
<td><span class="muted">${COLUMN_WORDS[s.column] ?? s.column}</span> <code>${s.column}</code></td>
<td>${s.webhooks ? 'yes' : html`<span class="muted">no</span>`}</td></tr>`,
      )}</tbody></table></div>`
}
</section>`;
}

function pollerLine(p: Freshness['poller'], now: number): SafeHtml | '' {
  if (!p) return '';
  if (!p.in_this_server || p.share === null)
    return html`<p class="muted" data-freshness-poller="elsewhere">Polled continuously by a scheduler outside this server: its share of the token's budget is not seen here.</p>`;
  const per = p.window_ms === 60_000 ? 'a minute' : `per ${Math.round((p.window_ms ?? 0) / 1000)} s`;
  return html`<p class="muted" data-freshness-poller="${p.state ?? ''}">Polled continuously (${p.state ?? 'unknown'}): ${Math.round(p.share * 100)} % of the token's budget, ${p.requests_per_window ?? '?'} of ${p.limit_per_window ?? '?'} requests ${per}; ${p.looks ?? 0} looks${p.failed_looks ? `, ${p.failed_looks} failed` : ''}, ${p.events_written ?? 0} events written${p.started_at ? ` (started ${relativeTime(p.started_at, now)})` : ''}.${p.last_error ? ` Last error: ${p.last_error}` : ''}</p>`;
}
