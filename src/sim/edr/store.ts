import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CompiledFilters } from '../query/filters.js';
import type { QHash } from '../query/params.js';

/**
 * Event data requests (docs/bugsnag-api.md §2.13; the simulator's choices in docs/simulator-edr.md): what one
 * request fixed when it was created, and the lifecycle and signed download URLs derived from it and the clock.
 *
 * A request is a snapshot: its filters are compiled and its time range fixed at creation (`baseSec`, with the same
 * clock rule as a paging walk, so events added afterwards are never in it). Nothing is generated until someone
 * downloads it.
 */
export type EdrStatus = 'PREPARING' | 'IN_PROGRESS' | 'COMPLETED' | 'EXPIRED';

export interface EdrPart {
  /** Global project index. */
  gi: number;
  /** Event index range [lo, hi) the filters' time bounds and the snapshot select in that project. */
  lo: number;
  hi: number;
}

export interface EdrRecord {
  id: string;
  /** Where it was created: answered only under the same path. */
  scope: { kind: 'project' | 'organization'; id: string };
  filters: QHash;
  compiled: CompiledFilters;
  reportType: 'gdpr' | null;
  parts: EdrPart[];
  total: number;
  createdMs: number;
}

export interface EdrTiming {
  prepareMs: number;
  urlTtlMs: number;
  expireMs: number;
}

/** The path a signed URL points at (outside the token-authenticated API, like a storage bucket would be). */
export const DOWNLOAD_PREFIX = '/event_data_downloads/';

export class EdrStore {
  private readonly byId = new Map<string, EdrRecord>();
  private next = 0;
  /** Per simulator instance: a URL signed by one simulator is refused by another. */
  private readonly secret = randomBytes(32);

  constructor(readonly timing: EdrTiming) {}

  /** Counter for the next id (ids are encoded by the caller, which owns the id codec). */
  nextIndex(): number {
    return this.next++;
  }

  add(r: EdrRecord): void {
    this.byId.set(r.id, r);
  }

  get(id: string): EdrRecord | undefined {
    return this.byId.get(id);
  }

  completedMs(r: EdrRecord): number {
    return r.createdMs + this.timing.prepareMs;
  }

  expiresMs(r: EdrRecord): number {
    return this.completedMs(r) + this.timing.expireMs;
  }

  /** A third of the preparation in PREPARING (total not yet known), the rest IN_PROGRESS. */
  status(r: EdrRecord, nowMs: number): EdrStatus {
    const age = nowMs - r.createdMs;
    if (age < this.timing.prepareMs / 3) return 'PREPARING';
    if (age < this.timing.prepareMs) return 'IN_PROGRESS';
    return nowMs < this.expiresMs(r) ? 'COMPLETED' : 'EXPIRED';
  }

  /** A URL valid for `urlTtlMs` from now, never past the request's own expiry. */
  signedUrl(origin: string, r: EdrRecord, nowMs: number): string {
    const expires = Math.floor(Math.min(nowMs + this.timing.urlTtlMs, this.expiresMs(r)) / 1000);
    return `${origin}${DOWNLOAD_PREFIX}${r.id}.json?expires=${expires}&signature=${this.sign(r.id, expires)}`;
  }

  /**
   * The record a download URL grants, or why not. Wrong or missing signatures and expired URLs are refused alike
   * (403), as a storage service does; an expired request's data is gone even if its URL has not run out.
   */
  verify(
    file: string,
    expiresRaw: string | undefined,
    signature: string | undefined,
    nowMs: number,
  ): { record: EdrRecord } | { refused: string } {
    const id = /^([0-9a-f]{24})\.json$/.exec(file)?.[1];
    if (!id || !expiresRaw || !/^\d{1,12}$/.test(expiresRaw) || !signature)
      return { refused: 'Missing or malformed signature' };
    const expires = Number(expiresRaw);
    const want = Buffer.from(this.sign(id, expires), 'utf8');
    const got = Buffer.from(signature, 'utf8');
    if (want.length !== got.length || !timingSafeEqual(want, got))
      return { refused: 'The request signature we calculated does not match the signature you provided' };
    const record = this.byId.get(id);
    if (!record) return { refused: 'Access denied' };
    if (nowMs >= expires * 1000 || nowMs >= this.expiresMs(record)) return { refused: 'Request has expired' };
    return { record };
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${id}\n${expires}`).digest('hex');
  }
}
