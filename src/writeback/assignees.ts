import type { BugsnagClient } from '../bugsnag/client.js';
import { isSnagError } from '../core/errors.js';
import type { RowProblem, WritebackRow } from './check.js';
import type { ResolvedAssignee } from './operations.js';

interface Named {
  id: string;
  name: string;
  email?: string;
}

/**
 * Resolves `assign` rows' `assignee` (collaborator id, email or name) and `team` (team id or name) through the
 * organization's collaborators and teams. The organization lists need an org admin; a plain member falls back to the
 * project's collaborators, and a team can then only be given by id.
 */
export async function resolveAssignees(
  api: BugsnagClient,
  rows: readonly WritebackRow[],
  orgOf: Map<string, string>,
  problems: RowProblem[],
  signal?: AbortSignal,
): Promise<{ byRow: Map<number, ResolvedAssignee>; reads: number }> {
  const byRow = new Map<number, ResolvedAssignee>();
  let reads = 0;
  const people = new Map<string, Named[]>();
  const teams = new Map<string, Named[] | null>();
  const listPeople = async (projectId: string): Promise<Named[]> => {
    const org = orgOf.get(projectId)!;
    const hit = people.get(org) ?? people.get(`p:${projectId}`);
    if (hit) return hit;
    reads++;
    try {
      const all = (await api.collaborators.listForOrganization(org, { signal }).all()) as Named[];
      people.set(org, all);
      return all;
    } catch (err) {
      if (!isSnagError(err, 'forbidden')) throw err;
      const all = (await api.collaborators.listForProject(projectId, { signal }).all()) as Named[];
      people.set(`p:${projectId}`, all);
      return all;
    }
  };
  const listTeams = async (org: string): Promise<Named[] | null> => {
    if (teams.has(org)) return teams.get(org)!;
    reads++;
    try {
      const all = (await api.teams.list(org, { signal }).all()) as Named[];
      teams.set(org, all);
    } catch (err) {
      if (!isSnagError(err, 'forbidden')) throw err;
      teams.set(org, null);
    }
    return teams.get(org)!;
  };
  const match = (list: Named[], wanted: string): Named[] => {
    const w = wanted.toLowerCase();
    const byId = list.filter((x) => x.id === wanted);
    if (byId.length) return byId;
    const byEmail = list.filter((x) => x.email?.toLowerCase() === w);
    return byEmail.length ? byEmail : list.filter((x) => x.name?.toLowerCase() === w);
  };
  for (const r of rows) {
    if (r.operation !== 'assign') continue;
    const assignee = r.params.assignee as string | undefined;
    const team = r.params.team as string | undefined;
    if (assignee) {
      const found = match(await listPeople(r.project_id), assignee);
      if (found.length === 1) byRow.set(r.row, { kind: 'collaborator', id: found[0]!.id });
      else
        problems.push({
          row: r.row,
          field: 'assignee',
          message: found.length
            ? `"${assignee}" names ${found.length} collaborators; give the id or email`
            : `no collaborator of project ${r.project_id} is "${assignee}"`,
        });
    } else if (team) {
      const list = await listTeams(orgOf.get(r.project_id)!);
      if (!list) {
        if (/^[0-9a-f]{24}$/i.test(team)) byRow.set(r.row, { kind: 'team', id: team });
        else
          problems.push({
            row: r.row,
            field: 'team',
            message: 'listing teams needs an organization administrator; give the team id',
          });
        continue;
      }
      const found = match(list, team);
      if (found.length === 1) byRow.set(r.row, { kind: 'team', id: found[0]!.id });
      else
        problems.push({
          row: r.row,
          field: 'team',
          message: found.length
            ? `"${team}" names ${found.length} teams; give the id`
            : `no team of the organization is "${team}"`,
        });
    }
  }
  return { byRow, reads };
}
