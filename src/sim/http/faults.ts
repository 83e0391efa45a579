import { hash, hashString, unitFromHash } from '../prng.js';

/**
 * Faults on demand. A spec is a comma-separated list of items, each optionally limited to paths containing a text
 * (`~text`):
 *
 *   500:0.1          10% of answers are 500 (also 502, 503, and 429 with Retry-After: 1); shares may be written 10%
 *   reset:0.05       5% of answers send their headers and half the body, then the connection is destroyed
 *   truncate:0.05    5% of answers are 200 with the JSON cut in half (a complete HTTP message, invalid JSON)
 *   slow:200ms@0.1   10% of answers wait 200 ms first (`slow:1s` = every answer)
 *   429storm:5s      every answer is 429 for the next 5 s (from when the spec is applied)
 *   seed:7           the seed the draws are made with (default: the simulator's seed)
 *
 * e.g. `500:0.1,reset:0.05~/events,slow:200ms@0.1,429storm:5s`. Draws are deterministic: the n-th request for a
 * given method+URL gets the same faults on every run with the same seed, however requests interleave.
 */
export type StatusFault = 500 | 502 | 503 | 429;

export interface FaultItem {
  kind: 'status' | 'reset' | 'truncate' | 'slow' | 'storm';
  status?: StatusFault;
  share: number;
  ms?: number;
  path?: string;
}

export interface FaultSpec {
  items: FaultItem[];
  seed: number | null;
  text: string;
}

export interface FaultDecision {
  status: StatusFault | null;
  /** Seconds for Retry-After on a 429. */
  retryAfterSec: number;
  delayMs: number;
  body: 'reset' | 'truncate' | null;
  storm: boolean;
}

export class FaultSpecError extends Error {}

export function parseFaultSpec(text: string): FaultSpec {
  const spec: FaultSpec = { items: [], seed: null, text: text.trim() };
  for (const rawItem of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [body, path] = rawItem.split('~', 2) as [string, string | undefined];
    const m = /^([a-z0-9]+):(.+)$/i.exec(body.trim());
    if (!m) throw new FaultSpecError(`bad fault "${rawItem}": expected kind:value, e.g. 500:0.1 or slow:200ms@0.1`);
    const kind = m[1]!.toLowerCase();
    const value = m[2]!.trim();
    const scope = path && path.length > 0 ? { path } : {};
    if (kind === 'seed') {
      if (!/^\d+$/.test(value)) throw new FaultSpecError(`bad fault seed "${value}"`);
      spec.seed = Number(value);
    } else if (kind === '500' || kind === '502' || kind === '503' || kind === '429') {
      spec.items.push({ kind: 'status', status: Number(kind) as StatusFault, share: share(value, rawItem), ...scope });
    } else if (kind === 'reset' || kind === 'truncate') {
      spec.items.push({ kind, share: share(value, rawItem), ...scope });
    } else if (kind === 'slow') {
      const [d, s] = value.split('@', 2) as [string, string | undefined];
      spec.items.push({
        kind: 'slow',
        ms: duration(d, rawItem),
        share: s === undefined ? 1 : share(s, rawItem),
        ...scope,
      });
    } else if (kind === '429storm') {
      spec.items.push({ kind: 'storm', ms: duration(value, rawItem), share: 1, ...scope });
    } else {
      throw new FaultSpecError(
        `unknown fault "${kind}" in "${rawItem}": use 500, 502, 503, 429, reset, truncate, slow, 429storm or seed`,
      );
    }
  }
  return spec;
}

function share(v: string, item: string): number {
  const pct = v.endsWith('%');
  const n = Number(pct ? v.slice(0, -1) : v);
  const s = pct ? n / 100 : n;
  if (!Number.isFinite(s) || s < 0 || s > 1)
    throw new FaultSpecError(`bad share in "${item}": use a number from 0 to 1, or a percentage`);
  return s;
}

function duration(v: string, item: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  if (!m) throw new FaultSpecError(`bad duration in "${item}": use e.g. 200ms, 2s or 1m`);
  const n = Number(m[1]);
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n);
}

export class FaultInjector {
  private spec: FaultSpec = { items: [], seed: null, text: '' };
  private appliedAtMs = 0;
  private readonly seen = new Map<string, number>();

  constructor(private readonly defaultSeed: number) {}

  set(spec: FaultSpec, nowMs: number): void {
    this.spec = spec;
    this.appliedAtMs = nowMs;
    this.seen.clear();
  }

  get current(): FaultSpec {
    return this.spec;
  }

  /** Whether a 429 storm is still blowing, and for how long (ms). */
  stormRemaining(path: string, nowMs: number): number {
    let left = 0;
    for (const it of this.spec.items) {
      if (it.kind !== 'storm' || (it.path && !path.includes(it.path))) continue;
      left = Math.max(left, this.appliedAtMs + (it.ms ?? 0) - nowMs);
    }
    return left;
  }

  decide(method: string, url: string, path: string, nowMs: number): FaultDecision {
    const none: FaultDecision = { status: null, retryAfterSec: 1, delayMs: 0, body: null, storm: false };
    if (this.spec.items.length === 0) return none;
    const storm = this.stormRemaining(path, nowMs);
    if (storm > 0) return { ...none, status: 429, retryAfterSec: Math.max(1, Math.ceil(storm / 1000)), storm: true };
    const key = `${method} ${url}`;
    const n = (this.seen.get(key) ?? 0) + 1;
    this.seen.set(key, n);
    const seed = this.spec.seed ?? this.defaultSeed;
    const base = hash(seed, hashString(key), n);
    const draw = (salt: string) => unitFromHash(hash(base, hashString(salt)));
    const applies = (it: FaultItem) => !it.path || path.includes(it.path);
    const out = { ...none };
    let roll = draw('status');
    for (const it of this.spec.items) {
      if (it.kind !== 'status' || !applies(it)) continue;
      if (roll < it.share) {
        out.status = it.status ?? 500;
        break;
      }
      roll -= it.share;
    }
    for (const it of this.spec.items) {
      if (it.kind === 'slow' && applies(it) && draw(`slow${it.ms}`) < it.share)
        out.delayMs = Math.max(out.delayMs, it.ms ?? 0);
    }
    if (out.status === null) {
      let b = draw('body');
      for (const it of this.spec.items) {
        if ((it.kind !== 'reset' && it.kind !== 'truncate') || !applies(it)) continue;
        if (b < it.share) {
          out.body = it.kind;
          break;
        }
        b -= it.share;
      }
    }
    return out;
  }
}
