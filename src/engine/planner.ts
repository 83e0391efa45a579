import type { Organization } from '../bugsnag/models/organization.js';
import type { Project } from '../bugsnag/models/project.js';
import type { SourceConfig } from '../store/models.js';
import { findStream, STREAMS } from '../streams/catalog.js';
import { partitionKey, type Partition, type StreamDefinition } from '../streams/types.js';

/**
 * Partitions from a source's config: the organizations the token reaches (all, or the ones named), their projects
 * (all, or the ones named, minus the excluded), and which selected streams are read for each kind of partition.
 * Organizations and projects are listed every run — they are how the rest is found — and stored only when selected.
 */
export const GLOBAL: Partition = { kind: 'global', key: '' };

export function chooseOrganizations(
  all: readonly Organization[],
  config: SourceConfig,
): { chosen: Organization[]; missing: string[] } {
  const wanted = config.organizations ?? [];
  if (wanted.length === 0) return { chosen: [...all], missing: [] };
  return {
    chosen: all.filter((o) => wanted.includes(o.id)),
    missing: wanted.filter((id) => !all.some((o) => o.id === id)),
  };
}

export function chooseProjects(all: readonly Project[], config: SourceConfig): Project[] {
  const include = config.projects ?? [];
  const exclude = new Set(config.exclude_projects ?? []);
  return all.filter((p) => (include.length === 0 || include.includes(p.id)) && !exclude.has(p.id));
}

export function missingProjects(found: readonly Project[], config: SourceConfig): string[] {
  return (config.projects ?? []).filter((id) => !found.some((p) => p.id === id));
}

export function orgPartition(organization: Organization, projects: readonly Project[]): Partition {
  return { kind: 'organization', key: partitionKey.organization(organization.id), organization, projects };
}

export function projectPartition(organization: Organization, project: Project): Partition {
  return { kind: 'project', key: partitionKey.project(project.id), organization, project };
}

/** Labels are for people, and saved with every run row: a name that is a whole paragraph is cut. */
const MAX_LABEL = 200;

/**
 * What people call a partition: "Checkout (Acme)" for a project (the organization by id when it has no name),
 * "Acme" for an organization; null for the account, or when Bugsnag gave no name (pages then show the id).
 */
export function partitionLabel(p: Partition): string | null {
  const org = p.kind === 'global' ? null : p.organization.name?.trim() || null;
  if (p.kind === 'organization') return org?.slice(0, MAX_LABEL) ?? null;
  if (p.kind !== 'project') return null;
  const name = p.project.name?.trim();
  return name ? `${name} (${org ?? p.organization.id})`.slice(0, MAX_LABEL) : null;
}

/** The selected streams of one partition kind, in catalog order, children left to their parents. */
export function streamsFor(kind: Partition['kind'], selected: readonly string[]): StreamDefinition[] {
  return STREAMS.filter((s) => s.partition === kind && !s.parent && selected.includes(s.name));
}

export function childrenOf(parent: StreamDefinition, selected: readonly string[]): StreamDefinition[] {
  return STREAMS.filter((s) => s.parent === parent.name && selected.includes(s.name));
}

export function planningStream(name: 'organizations' | 'projects'): StreamDefinition {
  return findStream(name)!;
}

/** Runs `work` over `items` with at most `limit` at once, in order of start; stops starting new ones once `stop()`. */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  stop: () => boolean,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
