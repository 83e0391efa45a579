import { isSnagError, SnagError } from '../core/errors.js';
import { parseTimestamp, toIso, toIsoSeconds } from '../core/time.js';
import type { Partition, ReadContext, StreamRecord } from './types.js';

/** Small shared pieces of the stream definitions: times, error classes, record shaping. */

export function ms(iso: string | null | undefined): number | null {
  if (iso === null || iso === undefined) return null;
  const d = parseTimestamp(iso);
  return d ? d.getTime() : null;
}

/**
 * Canonical ISO UTC with milliseconds, fields in range (days past the 28th left to Date): two of these compare as
 * text exactly as they compare as times, and each is its own toIso.
 */
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

export function minIso(a: string | undefined, b: string | null | undefined): string | undefined {
  // Runs for every record a window pass reads: no Date for two canonical values (the usual case).
  if (typeof b === 'string' && CANONICAL.test(b) && (a === undefined || CANONICAL.test(a)))
    return a === undefined || b < a ? b : a;
  const mb = ms(b);
  if (mb === null) return a;
  const ma = ms(a);
  return ma === null || mb < ma ? toIso(mb) : a;
}

export function maxIso(a: string | undefined, b: string | null | undefined): string | undefined {
  const mb = ms(b);
  if (mb === null) return a;
  const ma = ms(a);
  return ma === null || mb > ma ? toIso(mb) : a;
}

/** Whole seconds, as Bugsnag takes `base` and time filters. */
export function seconds(d: Date | number): string {
  return toIsoSeconds(Math.floor(new Date(d).getTime() / 1000) * 1000);
}

/** `event.before` just past a cursor value: its whole second is included (the bound is exclusive). */
export function justAfter(iso: string): string {
  const t = ms(iso) ?? 0;
  return toIsoSeconds(Math.floor(t / 1000) * 1000 + 1000);
}

/**
 * A periodic full pass (errors' status changes, releases' session figures) is due when none has completed yet, or the
 * last one started `intervalMs` or more before `now`.
 */
export function fullPassDue(now: Date, lastFullPassAt: string | undefined, intervalMs: number): boolean {
  return lastFullPassAt === undefined || now.getTime() - (ms(lastFullPassAt) ?? 0) >= intervalMs;
}

export function shiftIso(iso: string, deltaMs: number): string {
  return toIsoSeconds(Math.floor(((ms(iso) ?? 0) + deltaMs) / 1000) * 1000);
}

/**
 * A saved or followed next link the server would not serve: expired or malformed (400), gone (404), grown too long
 * (414, or refused before sending), or pointing at another host. The pass restarts narrowed instead of failing.
 */
export function isRejectedLink(err: unknown): boolean {
  if (!(err instanceof SnagError)) return false;
  if (err.code === 'validation') return true;
  if (err.code === 'not_found') return err.details.unrouted !== true;
  const reason = err.details.reason;
  if (err.code === 'result_too_large') return reason === 'next-link-too-long';
  if (err.code === 'not_bugsnag') return reason === 'cross-origin-link';
  return false;
}

/** A sorted list read past its depth limit (422, code 60000). */
export function isDeepPagingLimit(err: unknown): boolean {
  return isSnagError(err, 'result_too_large') && err.status === 422;
}

/** Fields never stored: project and organization notifier API keys are credentials, not data. */
const SECRET_FIELDS = ['api_key', 'upload_api_key'];

export function withoutSecrets<T extends object>(item: T): StreamRecord {
  const out: StreamRecord = { ...(item as StreamRecord) };
  for (const f of SECRET_FIELDS) delete out[f];
  return out;
}

/** The record as stored: the API's fields plus the parent ids (which win: they are what the key is made of). */
export function withParents<T extends object>(item: T, parents: Record<string, string>): StreamRecord {
  return { ...(item as StreamRecord), ...parents };
}

type OrgPartition = Extract<Partition, { kind: 'organization' }>;
type ProjectPartition = Extract<Partition, { kind: 'project' }>;

export function orgPartition(ctx: ReadContext, stream: string): OrgPartition {
  if (ctx.partition.kind !== 'organization') throw wrongPartition(stream, 'organization');
  return ctx.partition;
}

export function projectPartition(ctx: ReadContext, stream: string): ProjectPartition {
  if (ctx.partition.kind !== 'project') throw wrongPartition(stream, 'project');
  return ctx.partition;
}

export function wrongPartition(stream: string, kind: string): SnagError {
  return new SnagError('internal', `The ${stream} stream is read per ${kind}.`, {
    hint: 'This is a bug in snagsync; please report it.',
  });
}
