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
}

export interface PreviewResult {
  stream: string;
  partition: { kind: Partition['kind']; key: string; name: string | null };
  records: StreamRecord[];
  /** Requests the preview cost. */
  requests: number;
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
      signal: controller.signal,
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
    return {
      stream: stream.name,
      partition: { kind: partition.kind, key: partition.key, name: partitionName(partition) },
      records: records.slice(0, limit),
      requests: api.stats().requests,
    };
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
  });
}

function partitionName(p: Partition): string | null {
  if (p.kind === 'organization') return p.organization.name ?? null;
  if (p.kind === 'project') return p.project.name ?? null;
  return null;
}
