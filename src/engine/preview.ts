import type { Organization } from '../bugsnag/models/organization.js';
import type { Project } from '../bugsnag/models/project.js';
import { SnagError, toSnagError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import type { Credential, SourceConfig } from '../store/models.js';
import { findStream, getStream, STREAM_NAMES } from '../streams/catalog.js';
import type { ClientEventListener } from '../http/events.js';
import type { ChildContext, Partition, ReadContext, StreamRecord } from '../streams/types.js';
import { clientOptionsFromEnv, engineClient, type EngineClientOptions } from './client.js';
import { configError } from './config.js';
import { resolveSyncOptions } from './source-config.js';
import { explainAuthFailure } from './failures.js';
import { chooseOrganizations, chooseProjects, GLOBAL, orgPartition, projectPartition } from './planner.js';
import { sourceDraft, type SourceInput } from './sources.js';
import { DEFAULT_BACKFILL_THRESHOLD, estimateEvents } from '../streams/backfill.js';
import { seconds } from '../streams/util.js';

/**
 * "Test" a source (Nexla's button): read a few records of one stream from the first partition the source would
 * read, and save nothing — no checkpoint, no run, no destination. Works on a saved source or on a draft (a
 * credential plus the options a wizard has so far).
 */
export interface PreviewOptions {
  limit?: number;
  signal?: AbortSignal;
  client?: EngineClientOptions;
  /** Sees the preview's requests, retries and rate-limit waits (an interactive caller refuses to wait). */
  onEvent?: ClientEventListener;
  /** For the events stream: estimate the first sync's time by each path (one request per project, at most 50). */
  estimate?: boolean;
}

/**
 * How long a first sync of the events would take by each path at the token's observed limit (Bugsnag's
 * `X-RateLimit-Limit` as last seen, else 30 a minute, the only figure ever observed), from the events list's
 * `X-Total-Count` per project. Request time only: the bulk path also waits for Bugsnag to prepare each export (its
 * time is not published) and for the download, which is bounded by parsing and writing (docs/performance.md).
 */
export interface FirstSyncEstimate {
  events: number;
  projects: number;
  /** Projects left out of the count (more than the estimate reads). */
  projects_not_counted: number;
  limit: number;
  window_ms: number;
  /** True when the limit is the one Bugsnag announced to this credential; false for the assumed 30 a minute. */
  limit_observed: boolean;
  list: { requests: number; ms: number };
  bulk: { requests: number; ms: number; exports: number };
  /** What the source's events_backfill setting picks per project. */
  chosen: { bulk: number; list: number };
}

export interface PreviewResult {
  stream: string;
  partition: { kind: Partition['kind']; key: string; name: string | null };
  records: StreamRecord[];
  /** Requests the preview cost. */
  requests: number;
  /** With `estimate`, for the events stream. */
  first_sync?: FirstSyncEstimate;
}

const ESTIMATE_MAX_PROJECTS = 50;
/** Requests one export costs: the POST and the polls of a backoff from 1 s to 60 s over a few minutes. */
const REQUESTS_PER_EXPORT = 8;
/** Events the list returns per request. */
const LIST_PAGE = 30;

async function estimateFirstSync(
  api: ReturnType<typeof engineClient>,
  credential: Credential,
  config: SourceConfig,
  sync: ReturnType<typeof resolveSyncOptions>,
  now: Date,
  signal: AbortSignal,
): Promise<FirstSyncEstimate> {
  const { chosen: orgs } = chooseOrganizations(await api.organizations.list().all(), config);
  const projects: Project[] = [];
  for (const org of orgs as Organization[])
    projects.push(...chooseProjects((await api.projects.list(org.id).all()) as Project[], config));
  const counted = projects.slice(0, ESTIMATE_MAX_PROJECTS);
  const boundary = seconds(now);
  const since = sync.startDate ? seconds(sync.startDate) : null;
  let events = 0;
  let listRequests = 2;
  let bulkRequests = 2;
  let exports = 0;
  const chosen = { bulk: 0, list: 0 };
  const threshold = sync.eventsBackfillThreshold ?? DEFAULT_BACKFILL_THRESHOLD;
  for (const p of counted) {
    const total = (await estimateEvents(api, p.id, sync.filters, since, boundary, signal)) ?? 0;
    events += total;
    const pages = Math.max(1, Math.ceil(total / LIST_PAGE));
    listRequests += pages;
    const bulk = sync.eventsBackfill === 'bulk' || (sync.eventsBackfill !== 'list' && total > threshold);
    if (bulk) chosen.bulk++;
    else chosen.list++;
    if (total > 0) {
      exports++;
      bulkRequests += REQUESTS_PER_EXPORT;
    } else bulkRequests += 1;
  }
  const seen = credential.rate_limit;
  const limit = seen?.limit && seen.limit > 0 ? seen.limit : 30;
  const windowMs = seen?.window_ms ?? 60_000;
  const time = (requests: number) => Math.ceil(requests / limit) * windowMs;
  return {
    events,
    projects: counted.length,
    projects_not_counted: projects.length - counted.length,
    limit,
    window_ms: windowMs,
    limit_observed: Boolean(seen?.limit),
    list: { requests: listRequests, ms: time(listRequests) },
    bulk: { requests: bulkRequests, ms: time(bulkRequests), exports },
    chosen,
  };
}

export type PreviewTarget = string | { credential: string; config?: SourceInput };

/** How many errors pages a comments preview looks through for errors with comments. */
const COMMENT_SEARCH_PAGES = 5;

export async function previewStream(
  runtime: Runtime,
  target: PreviewTarget,
  streamName: string,
  options: PreviewOptions = {},
): Promise<PreviewResult> {
  const stream = findStream(streamName);
  if (!stream) throw configError('stream', `"${streamName}" is not a stream.`, `Streams: ${STREAM_NAMES.join(', ')}.`);
  const limit = Math.max(1, Math.min(options.limit ?? 5, 100));
  return withPreviewClient(runtime, target, options, async ({ api, credential, config, signal }) => {
    const now = new Date();
    // A preview reads a few records: never through an event data request (one export of the whole history).
    const sync = { ...resolveSyncOptions(config, now), eventsBackfill: 'list' as const };
    const partition = await firstPartition(
      api,
      config,
      stream.parent ? getStream(stream.parent).partition : stream.partition,
    );
    const children = new Map<string, ChildContext>();
    const parent = stream.parent ? getStream(stream.parent) : stream;
    if (stream.parent) children.set(stream.name, { state: null, api });
    const ctx: ReadContext = {
      api,
      partition,
      options: sync,
      state: null,
      now,
      signal,
      warn: () => undefined,
      children,
    };
    const records: StreamRecord[] = [];
    let pages = 0;
    for await (const batch of parent.read(ctx)) {
      pages++;
      const got = stream.parent
        ? (batch.children ?? []).filter((c) => c.stream === stream.name).flatMap((c) => c.records)
        : batch.records;
      records.push(...got);
      if (records.length >= limit || !stream.parent || pages >= COMMENT_SEARCH_PAGES) break;
    }
    const firstSync =
      options.estimate && stream.name === 'events'
        ? await estimateFirstSync(api, credential, config, resolveSyncOptions(config, now), now, signal)
        : undefined;
    return {
      stream: stream.name,
      partition: { kind: partition.kind, key: partition.key, name: partitionName(partition) },
      records: records.slice(0, limit),
      requests: api.stats().requests,
      ...(firstSync ? { first_sync: firstSync } : {}),
    };
  });
}

/**
 * The first sync estimate of a source or draft on its own (what `previewStream` adds with `estimate` for the events
 * stream), with the requests it cost: for a caller that has read its records already and makes the estimate a
 * separate, best-effort step (the server, where a person waits and a rate limit may leave no room for it).
 */
export async function estimateFirstSyncOf(
  runtime: Runtime,
  target: PreviewTarget,
  options: Omit<PreviewOptions, 'limit' | 'estimate'> = {},
): Promise<{ first_sync: FirstSyncEstimate; requests: number }> {
  return withPreviewClient(runtime, target, options, async ({ api, credential, config, signal }) => {
    const now = new Date();
    const firstSync = await estimateFirstSync(api, credential, config, resolveSyncOptions(config, now), now, signal);
    return { first_sync: firstSync, requests: api.stats().requests };
  });
}

/** The credential's client for a preview, stopped with the caller's signal or when `fn` ends; auth failures explained. */
async function withPreviewClient<T>(
  runtime: Runtime,
  target: PreviewTarget,
  options: Omit<PreviewOptions, 'limit' | 'estimate'>,
  fn: (c: {
    api: ReturnType<typeof engineClient>;
    credential: Credential;
    config: SourceConfig;
    signal: AbortSignal;
  }) => Promise<T>,
): Promise<T> {
  const { credential, config } = await resolveTarget(runtime, target);
  const token = await runtime.vault.unseal(credential);
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const api = engineClient(
    token,
    credential.host,
    options.client ?? clientOptionsFromEnv(runtime.env),
    options.onEvent ?? (() => undefined),
    controller.signal,
  );
  try {
    return await fn({ api, credential, config, signal: controller.signal });
  } catch (err) {
    throw explainAuthFailure(toSnagError(err), credential);
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

async function resolveTarget(
  runtime: Runtime,
  target: PreviewTarget,
): Promise<{ credential: Credential; config: SourceConfig }> {
  if (typeof target === 'string') {
    const source = await runtime.store.sources.findByNameOrId(target);
    if (!source.credential_id) throw configError('credential', `The source "${source.name}" has no credential.`);
    return { credential: await runtime.store.credentials.findByNameOrId(source.credential_id), config: source.config };
  }
  const draft = await sourceDraft(runtime, target.credential, target.config ?? {});
  return { credential: draft.credential, config: draft.config };
}

async function firstPartition(
  api: ReturnType<typeof engineClient>,
  config: SourceConfig,
  kind: Partition['kind'],
): Promise<Partition> {
  if (kind === 'global') return GLOBAL;
  const { chosen } = chooseOrganizations(await api.organizations.list().all(), config);
  for (const org of chosen as Organization[]) {
    const projects = (await api.projects.list(org.id).all()) as Project[];
    if (kind === 'organization') return orgPartition(org, projects);
    const p = chooseProjects(projects, config)[0];
    if (p) return projectPartition(org, p);
  }
  throw new SnagError('not_found', 'The source has no organization or project to preview.', {
    hint: 'Check the --org and --project options of the source, and which organizations the credential reaches.',
    serverHint: "Check the source's organizations and projects, and which organizations the credential reaches.",
  });
}

function partitionName(p: Partition): string | null {
  if (p.kind === 'organization') return p.organization.name ?? null;
  if (p.kind === 'project') return p.project.name ?? null;
  return null;
}
