import type { Model } from './models/common.js';
import type { Paginator } from './paginator.js';

/** What every call accepts. */
export interface CallOptions {
  /** Aborts this call (in addition to the client's own signal). */
  signal?: AbortSignal;
}

/** What every list accepts. */
export interface ListOptions extends CallOptions {
  /** Page size wanted; never sent above the endpoint's maximum (the default is that maximum). */
  perPage?: number;
  /**
   * Resume from a saved next-page URL (a `Page.nextUrl` from an earlier pass in this run). The URL already carries
   * every query parameter, so the list's other options are ignored.
   */
  resumeFrom?: string;
}

export type Pairs = ReadonlyArray<readonly [string, string]>;

/** The narrow interface resource modules use; implemented by BugsnagClient. */
export interface ApiContext {
  readonly baseUrl: string;
  /** One JSON object. */
  get<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T>;
  /** One JSON object, or null for a 204 (no content). */
  getOptional<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T | null>;
  /** A JSON array that is not paginated (trends). */
  getArray<T>(path: string, query: Pairs, model: Model<T>, options?: CallOptions): Promise<T[]>;
  paginate<T>(path: string, query: Pairs, model: Model<T>, options?: ListOptions): Paginator<T>;
  /** A write: sent once, never retried automatically. Null when Bugsnag answers 204. */
  write<T>(
    method: 'POST' | 'PATCH' | 'PUT' | 'DELETE',
    path: string,
    query: Pairs,
    body: unknown,
    model: Model<T>,
    options?: CallOptions,
  ): Promise<T | null>;
  /** "Now" for relative times that Bugsnag does not understand (e.g. `2w`). */
  now(): Date;
}
