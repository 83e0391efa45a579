import cliProgress from 'cli-progress';
import { formatDuration } from '../core/time.js';
import { redact } from '../core/redact.js';
import type { RunEvent, RunEvents } from '../engine/events.js';
import type { Io } from './output.js';

/**
 * Progress of a sync on stderr (stdout is for the result). On a terminal: a bar per stream (records read, pages,
 * the estimate from X-Total-Count, partitions done) and a status line ("waiting 12 s for rate limit"). Otherwise:
 * one JSON line per progress event, for scripts and logs. `SNAGSYNC_PROGRESS=bars|json|none` overrides the choice.
 */
export type ProgressMode = 'bars' | 'json' | 'none';

export function progressMode(io: Io): ProgressMode {
  const forced = io.env.SNAGSYNC_PROGRESS?.trim().toLowerCase();
  if (forced === 'bars' || forced === 'json' || forced === 'none') return forced;
  return io.stderr.isTTY ? 'bars' : 'json';
}

export interface ProgressHandle {
  stop(): void;
}

export function attachProgress(io: Io, events: RunEvents, mode: ProgressMode = progressMode(io)): ProgressHandle {
  if (mode === 'none') return { stop: () => undefined };
  if (mode === 'json') {
    const write = (e: RunEvent) => io.stderr.write(`${redact(JSON.stringify(jsonLine(e)))}\n`);
    return { stop: follow(events, write) };
  }
  return bars(io, events);
}

/** The run-done event carries the whole summary, which stdout prints anyway: the progress line stays short. */
function jsonLine(e: RunEvent): RunEvent | Omit<RunEvent, 'summary'> {
  if (e.type !== 'run-done') return e;
  const { summary, ...rest } = e;
  return { ...rest, totals: summary.totals } as Omit<RunEvent, 'summary'>;
}

/** What happened before the display was attached (the run starts before its handle is returned), then live. */
function follow(events: RunEvents, listener: (e: RunEvent) => void): () => void {
  for (const e of events.history()) listener(e);
  return events.subscribe(listener);
}

interface StreamBar {
  bar: cliProgress.SingleBar;
  read: number;
  pages: number;
  /** Per partition: the estimate, or what was read when there is none. */
  estimates: Map<string, number>;
  reads: Map<string, number>;
  partitions: number;
  done: number;
  problems: number;
  /** A bulk backfill's phase in words, while one runs. */
  phase: string;
}

function bars(io: Io, events: RunEvents): ProgressHandle {
  const multi = new cliProgress.MultiBar(
    {
      stream: io.stderr,
      format: ' {stream} {bar} {value}/{total} records · {pages} pages {parts} {note}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  );
  const status = multi.create(1, 0, { message: 'starting…' }, { format: ' {message}' });
  const byStream = new Map<string, StreamBar>();
  const width = 22;
  let waitTimer: NodeJS.Timeout | undefined;

  const get = (stream: string): StreamBar => {
    let s = byStream.get(stream);
    if (!s) {
      const bar = multi.create(1, 0, { stream: stream.padEnd(width), pages: 0, parts: '', note: '' });
      s = {
        bar,
        read: 0,
        pages: 0,
        estimates: new Map(),
        reads: new Map(),
        partitions: 0,
        done: 0,
        problems: 0,
        phase: '',
      };
      byStream.set(stream, s);
    }
    return s;
  };
  const draw = (name: string, s: StreamBar) => {
    let total = 0;
    for (const [p, read] of s.reads) total += Math.max(read, s.estimates.get(p) ?? read);
    s.bar.setTotal(Math.max(1, total, s.read));
    s.bar.update(s.read, {
      stream: name.padEnd(width),
      pages: s.pages,
      parts: s.partitions > 1 ? `· ${s.done}/${s.partitions} partitions` : '',
      note: [s.phase, s.problems ? `${s.problems} skipped/failed` : '']
        .filter(Boolean)
        .map((x) => `· ${x}`)
        .join(' '),
    });
  };
  const say = (message: string) => status.update(0, { message });

  const off = follow(events, (e) => {
    switch (e.type) {
      case 'run-start':
        say(`syncing ${e.sourceName} → ${e.destination}`);
        break;
      case 'plan':
        say(
          `${e.organizations} organization${e.organizations === 1 ? '' : 's'}, ${e.projects} project${e.projects === 1 ? '' : 's'}`,
        );
        break;
      case 'stream-start': {
        const s = get(e.stream);
        s.partitions++;
        s.reads.set(e.partition, 0);
        draw(e.stream, s);
        break;
      }
      case 'page': {
        const s = get(e.stream);
        s.read += e.records;
        s.pages++;
        s.reads.set(e.partition, e.recordsRead);
        if (e.estimate !== undefined) s.estimates.set(e.partition, e.estimate);
        draw(e.stream, s);
        break;
      }
      case 'backfill': {
        const s = get(e.stream);
        s.phase = e.label;
        if (e.phase === 'estimated' && e.total !== undefined) s.estimates.set(e.partition, e.total);
        draw(e.stream, s);
        break;
      }
      case 'stream-done': {
        const s = get(e.stream);
        s.phase = '';
        s.done++;
        s.estimates.set(e.partition, e.recordsRead);
        if (e.outcome !== 'ok') s.problems++;
        draw(e.stream, s);
        break;
      }
      case 'rate-limit-wait': {
        const until = Date.now() + e.ms;
        const tick = () => {
          const left = until - Date.now();
          if (left <= 0) return say('');
          say(
            `waiting ${formatDuration(left)} for rate limit${e.limit !== undefined ? ` (${e.limit} requests per window)` : ''}`,
          );
        };
        clearInterval(waitTimer);
        tick();
        waitTimer = setInterval(tick, 250);
        waitTimer.unref();
        setTimeout(() => clearInterval(waitTimer), e.ms + 300).unref();
        break;
      }
      case 'retry':
        say(`retrying ${e.stream ?? ''} after ${e.status ?? e.error ?? 'a failure'} (attempt ${e.attempt + 1})`);
        break;
      case 'warning':
        say(`${e.stream}${e.partition ? ` ${e.partition}` : ''}: ${e.message}`);
        break;
      case 'run-done':
        say(`${e.status} in ${formatDuration(e.summary.duration_ms)}`);
        break;
    }
  });
  return {
    stop: () => {
      off();
      clearInterval(waitTimer);
      multi.stop();
    },
  };
}
