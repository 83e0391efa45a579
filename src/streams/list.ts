import type { BugsnagClient } from '../bugsnag/client.js';
import type { Paginator } from '../bugsnag/paginator.js';
import { refreshList } from './refresh.js';
import { defineStream, type Partition, type PartitionKind, type StreamDefinition, type SyncOptions } from './types.js';
import { withoutSecrets, withParents, wrongPartition } from './util.js';

/**
 * A plain list stream: one client list per partition, read whole (full refresh), each item stored with its parent's
 * id (`organization_id` for an organization's list, `project_id` for a project's) and without notifier keys. Such a
 * stream is data only — which list, which parent, which key — like a low-code manifest entry; the pass (paging,
 * checkpoints, resuming from a saved link) is `refreshList`'s.
 */

/** What a list call takes besides the parent id: the saved link to resume from, or the declared query. */
type ListCallOptions = { resumeFrom?: string } & Record<string, unknown>;

/** The client's list method for a partition kind: global lists take no parent id. */
export type ListMethod<K extends PartitionKind, T> = K extends 'global'
  ? (options: ListCallOptions) => Paginator<T>
  : (parentId: string, options: ListCallOptions) => Paginator<T>;

export type ListStreamSpec<K extends PartitionKind, T> = Omit<
  StreamDefinition,
  'read' | 'partition' | 'syncModes' | 'heavy'
> & {
  partition: K;
  /** The client resource's list method, e.g. `(api) => api.teams.list`. */
  list: (api: BugsnagClient) => ListMethod<K, T>;
  /** Query sent with the first page (a next link carries it on), from the run's options. */
  query?: (options: SyncOptions) => Record<string, unknown>;
  /** Re-read from the first page every run instead of resuming (the lists the planner needs whole). */
  resumable?: boolean;
  /** Off unless asked for (default false). */
  heavy?: boolean;
  /** See StreamDefinition.refreshEvery. */
  refreshEvery?: string;
};

/** The parent's id, and the field each record carries it in (it is part of the key). */
function parentOf(p: Partition): { id: string; fields: Record<string, string> } | null {
  if (p.kind === 'organization') return { id: p.organization.id, fields: { organization_id: p.organization.id } };
  if (p.kind === 'project') return { id: p.project.id, fields: { project_id: p.project.id } };
  return null;
}

export function defineListStream<K extends PartitionKind, T extends object>(
  spec: ListStreamSpec<K, T>,
): StreamDefinition {
  const { list, query, resumable, heavy, ...decl } = spec;
  return defineStream({
    ...decl,
    syncModes: ['full_refresh'],
    heavy: heavy ?? false,
    read: (ctx) => {
      if (ctx.partition.kind !== spec.partition) throw wrongPartition(spec.name, spec.partition);
      const method = list(ctx.api) as (...args: unknown[]) => Paginator<T>;
      const parent = parentOf(ctx.partition);
      const first = query?.(ctx.options) ?? {};
      return refreshList(
        ctx,
        (resumeFrom) => {
          const options = resumeFrom ? { resumeFrom } : first;
          return parent === null ? method(options) : method(parent.id, options);
        },
        (item) => withParents(withoutSecrets(item), parent?.fields ?? {}),
        resumable === false ? { resumable: false } : {},
      );
    },
  });
}
