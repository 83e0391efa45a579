import { redact } from '../../core/redact.js';
import { formatDuration } from '../../core/time.js';
import { webAdvice } from './advice.js';
import type { RunView } from './view.js';

/**
 * A run's log: what the store keeps about it — its start, each stream and partition (started, then what it read and
 * wrote and how it ended), the warnings and the end with its error — as time-ordered lines. The run page shows it;
 * `/runs/{id}/log` serves it as text or JSONL. Every line goes through `redact`, so a token never leaves in it.
 */

export interface RunLogLine {
  at: string;
  level: 'info' | 'warn' | 'error';
  stream: string | null;
  partition: string | null;
  message: string;
}

export function runLog(v: RunView): RunLogLine[] {
  const lines: RunLogLine[] = [];
  const add = (at: string, level: RunLogLine['level'], message: string, stream?: string, partition?: string) =>
    lines.push({ at, level, stream: stream ?? null, partition: partition ?? null, message: redact(message) });
  const options = [
    v.full_refresh ? 'full refresh' : 'incremental',
    v.streams_requested ? `streams ${v.streams_requested.join(', ')}` : 'every stream',
  ].join(', ');
  add(v.started_at, 'info', `Run ${v.id} of "${v.source_name ?? v.source_id}" started (${v.trigger}; ${options}).`);
  for (const s of v.streams) {
    const where = s.partition_label ?? (s.partition || 'the account');
    add(s.started_at, 'info', `${s.stream} for ${where}: started.`, s.stream, s.partition);
    if (s.finished_at === null) continue;
    const counts = `read ${s.records_read}, wrote ${s.records_written} in ${s.pages} pages, ${s.requests} requests${s.retries ? `, ${s.retries} retries` : ''}${s.wait_ms ? `, waited ${formatDuration(s.wait_ms)} for the rate limit` : ''}, ${formatDuration(s.duration_ms)}`;
    const level = s.outcome === 'failed' ? 'error' : s.outcome === 'skipped' ? 'warn' : 'info';
    add(
      s.finished_at,
      level,
      `${s.stream} for ${where}: ${s.outcome ?? 'ended'} — ${counts}.${s.message ? ` ${s.message}` : ''}`,
      s.stream,
      s.partition,
    );
  }
  const end = v.finished_at ?? v.started_at;
  for (const w of v.warnings)
    add(
      end,
      'warn',
      `Warning${w.stream ? ` (${w.stream})` : ''}: ${w.message}`,
      w.stream || undefined,
      w.partition || undefined,
    );
  if (v.finished_at) {
    const t = v.totals;
    add(
      v.finished_at,
      v.status === 'succeeded' ? 'info' : v.status === 'cancelled' ? 'warn' : 'error',
      `Run ${v.status} after ${formatDuration(v.duration_ms)}: read ${t.records_read}, wrote ${t.records_written}, ${t.requests} requests.`,
    );
    if (v.error) {
      const advice = webAdvice(v.error.hint);
      add(v.finished_at, 'error', `${v.error.message}${advice ? ` ${advice}` : ''}`);
    }
  }
  // Stable: lines of the same instant keep the order they were added in.
  return lines
    .map((l, i) => ({ l, i }))
    .sort((a, b) => a.l.at.localeCompare(b.l.at) || a.i - b.i)
    .map(({ l }) => l);
}

export function logText(lines: readonly RunLogLine[]): string {
  return lines.map((l) => `${l.at} ${l.level.toUpperCase().padEnd(5)} ${l.message}\n`).join('');
}

export function logJsonl(lines: readonly RunLogLine[]): string {
  return lines.map((l) => `${JSON.stringify(l)}\n`).join('');
}
