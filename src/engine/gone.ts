import type { Project } from '../bugsnag/models/project.js';
import type { Destination } from '../destinations/types.js';
import type { SourceConfig } from '../store/models.js';

/**
 * A project the token no longer sees is reported, never taken for deleted (docs/sync.md, Deletions): its rows stay as
 * they are, unmarked. A project this source synced before (it has a checkpoint in the destination) and that the
 * projects lists of this run no longer hold is "gone" — deleted in Bugsnag, or out of the token's reach; which one,
 * the API does not say. Only asked when every organization was listed and the source reads all of them and does not
 * name its projects (a project named but not found is reported as such already, and one left out by the source's own
 * choice is not gone).
 */
export async function goneProjects(
  dest: Destination,
  sourceId: string,
  listed: readonly Project[],
  config: SourceConfig,
): Promise<string[]> {
  if ((config.organizations?.length ?? 0) > 0 || (config.projects?.length ?? 0) > 0) return [];
  const seen = new Set(listed.map((p) => p.id));
  const excluded = new Set(config.exclude_projects ?? []);
  const synced = new Set<string>();
  for (const c of await dest.readCheckpoints(sourceId))
    if (c.partition.startsWith('project:')) synced.add(c.partition.slice('project:'.length));
  return [...synced].filter((id) => !seen.has(id) && !excluded.has(id)).sort();
}

export function goneMessage(id: string): string {
  return `Project ${id} was synced before but is no longer among the projects the token sees (deleted in Bugsnag, or out of the token's reach); its rows are kept as they are, not marked deleted.`;
}
