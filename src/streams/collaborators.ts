import { z } from 'zod';
import type { Collaborator } from '../bugsnag/models/collaborator.js';
import { CollaboratorSchema } from '../bugsnag/models/collaborator.js';
import { isSnagError } from '../core/errors.js';
import { markingCompletion } from './deletions.js';
import { refreshSteps, type RefreshStep } from './refresh.js';
import { loadState, RefreshState } from './state.js';
import { defineStream, type Batch, type ReadContext, type StreamRecord } from './types.js';
import { orgPartition, withParents } from './util.js';

/**
 * The organization's collaborators. The organization list needs an organization administrator; for anyone else
 * Bugsnag answers 403, and the stream falls back to the collaborators of each project the token sees (no admin
 * needed), de-duplicated by (organization_id, id). Airbyte reads only the first page and files the organization id
 * under `project_id`; this reads every page and names it `organization_id`.
 */
export const collaborators = defineStream({
  name: 'collaborators',
  description:
    "The organization's collaborators (per project when the token's user is not an organization administrator).",
  endpoint: 'GET /organizations/{organization_id}/collaborators, else GET /projects/{project_id}/collaborators',
  schema: CollaboratorSchema.extend({ organization_id: z.string() }),
  primaryKey: ['organization_id', 'id'],
  partition: 'organization',
  syncModes: ['full_refresh'],
  heavy: false,
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  columns: [
    { name: 'organization_id', type: 'text', description: 'The organization (organizations.id).' },
    {
      name: 'id',
      type: 'text',
      description: 'The collaborator id (errors.assigned_collaborator_id, comments.collaborator_id).',
    },
    { name: 'name', type: 'text', description: 'Their name.' },
    { name: 'email', type: 'text', description: 'Their email.' },
    { name: 'is_admin', type: 'boolean', description: 'Whether they administer the organization.' },
    {
      name: 'pending_invitation',
      type: 'boolean',
      description: 'Whether they have not accepted their invitation yet.',
    },
    { name: 'created_at', type: 'timestamp', description: 'When they joined.' },
    { name: 'last_request_at', type: 'timestamp', description: 'When they last used Bugsnag.' },
    { name: 'two_factor_enabled', type: 'boolean', description: 'Whether they sign in with two factors.' },
    { name: 'project_roles', type: 'json', description: 'Their role per project (JSON).' },
  ],
  read: readCollaborators,
});

async function* readCollaborators(ctx: ReadContext): AsyncGenerator<Batch> {
  const { organization, projects } = orgPartition(ctx, 'collaborators');
  const seen = new Set<string>();
  const toRecords = (items: Collaborator[]): StreamRecord[] =>
    items
      .filter((c) => !seen.has(c.id) && seen.add(c.id))
      .map((c) => withParents(c, { organization_id: organization.id }));
  const saved = loadState(RefreshState, ctx.state, () => undefined);
  if (saved?.pass?.mode !== 'projects') {
    const orgStep: RefreshStep<Collaborator> = {
      open: (resumeFrom) =>
        ctx.api.collaborators.listForOrganization(organization.id, resumeFrom ? { resumeFrom } : {}),
      toRecords,
    };
    try {
      // The organization's whole list: what it no longer holds is marked deleted (not the per-project fallback's).
      yield* markingCompletion(ctx, refreshSteps(ctx, [orgStep], { mode: 'organization' }));
      return;
    } catch (err) {
      if (!isSnagError(err, 'forbidden')) throw err;
    }
  }
  ctx.warn(
    'collaborators-per-project',
    "The token's user is not an organization administrator: collaborators are read per project.",
  );
  const steps: Array<RefreshStep<Collaborator>> = projects.map((p) => ({
    open: (resumeFrom) => ctx.api.collaborators.listForProject(p.id, resumeFrom ? { resumeFrom } : {}),
    toRecords,
  }));
  yield* refreshSteps(ctx, steps, { mode: 'projects' });
}
