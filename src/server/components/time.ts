import { html, type SafeHtml } from '../html.js';

/** "3 minutes ago" — relative to the render time, with the exact UTC time next to it and in `datetime`. */
export function relativeTime(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 45) return 'just now';
  if (s < 3600) return plural(Math.max(1, Math.round(s / 60)), 'minute');
  if (s < 86400) return plural(Math.round(s / 3600), 'hour');
  if (s < 86400 * 60) return plural(Math.round(s / 86400), 'day');
  return `on ${exactTime(iso).slice(0, 10)}`;
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
}

/** `2026-05-01 10:00 UTC`. */
export function exactTime(iso: string): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `<time>` showing "3 minutes ago (2026-05-01 10:00 UTC)". */
export function timeElement(iso: string, now: number): SafeHtml {
  return html`<time datetime="${iso}">${relativeTime(iso, now)} <span class="exact-time">(${exactTime(iso)})</span></time>`;
}
