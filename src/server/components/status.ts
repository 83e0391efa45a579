import { formatDuration } from '../../core/time.js';
import type { RunStatus, SourceStatus } from '../../store/models.js';
import { html, type SafeHtml } from '../html.js';

/**
 * Badges for a source's and a run's status: a symbol and a word, never colour alone. `data-status` carries the
 * machine value (tests and app.js read it).
 */

const SOURCE: Record<SourceStatus, { symbol: string; text: string; className: string }> = {
  active: { symbol: '●', text: 'Active', className: 'badge-verified' },
  paused: { symbol: '❚❚', text: 'Paused', className: 'badge-unverified' },
  disabled: { symbol: '✕', text: 'Disabled', className: 'badge-failed' },
};

export function sourceStatusBadge(status: SourceStatus): SafeHtml {
  const s = SOURCE[status];
  return html`<span class="${`badge ${s.className}`}" data-source-status="${status}"><span aria-hidden="true">${s.symbol}</span> ${s.text}</span>`;
}

const RUN: Record<RunStatus, { symbol: string; text: string; className: string }> = {
  running: { symbol: '⟳', text: 'Running', className: 'badge-running' },
  succeeded: { symbol: '✓', text: 'Succeeded', className: 'badge-verified' },
  partial: { symbol: '◐', text: 'Partial', className: 'badge-unverified' },
  failed: { symbol: '✕', text: 'Failed', className: 'badge-failed' },
  cancelled: { symbol: '⊘', text: 'Cancelled', className: 'badge-neutral' },
};

export function runStatusBadge(status: RunStatus): SafeHtml {
  const s = RUN[status];
  return html`<span class="${`badge ${s.className}`}" data-run-status="${status}"><span aria-hidden="true">${s.symbol}</span> ${s.text}</span>`;
}

export const TRIGGER_TEXT: Record<string, string> = { cli: 'command line', schedule: 'schedule', api: 'web UI / API' };

export function duration(ms: number | null): string {
  return ms === null ? '–' : formatDuration(ms);
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : n.toLocaleString('en-US');
}

/**
 * How a partition is shown: the name the run saved ("Checkout (Acme)") when there is one, else `project:5a2f…` →
 * "project 5a2f…"; '' → "—" (a global stream).
 */
export function partitionLabel(key: string, label?: string | null): string {
  if (label) return label;
  if (key === '') return '—';
  const i = key.indexOf(':');
  return i > 0 ? `${key.slice(0, i)} ${key.slice(i + 1)}` : key;
}
