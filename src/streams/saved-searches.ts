import { z } from 'zod';
import { SavedSearchSchema, SavedSearchUsageSummarySchema } from '../bugsnag/models/saved-search.js';
import type { SavedSearch } from '../bugsnag/models/saved-search.js';
import { isSnagError } from '../core/errors.js';
import { refreshSteps } from './refresh.js';
import { defineStream, type ReadContext, type StreamRecord } from './types.js';
import { projectPartition, withParents } from './util.js';

/**
 * Saved searches, each with its usage summary (which has no id of its own, so it is stored in the search's row,
 * under `usage_summary`, keyed by the search). Plans without the performance-comparisons feature answer 403: the
 * stream is skipped for that project with a warning.
 */
export const savedSearches = defineStream({
  name: 'saved_searches',
  description: "The project's saved searches, each with its usage summary.",
  endpoint: 'GET /projects/{project_id}/saved_searches + GET /saved_searches/{id}/usage_summary',
  schema: SavedSearchSchema.extend({ project_id: z.string(), usage_summary: SavedSearchUsageSummarySchema.nullable() }),
  primaryKey: ['project_id', 'id'],
  partition: 'project',
  syncModes: ['full_refresh'],
  heavy: false,
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  columns: [
    { name: 'project_id', type: 'text', description: 'The project (projects.id).' },
    { name: 'id', type: 'text', description: 'The saved search id.' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'user_id', type: 'text', description: 'Who saved it (collaborators.id).' },
    { name: 'filters', type: 'json', description: 'Its filters (JSON).' },
    { name: 'sort', type: 'text', description: 'Its sort order.' },
    { name: 'shared', type: 'boolean', description: 'Whether the project’s collaborators all see it.' },
    { name: 'project_default', type: 'boolean', description: 'Whether it is the project’s default view.' },
    { name: 'created_at', type: 'timestamp', description: 'When it was saved.' },
    { name: 'updated_at', type: 'timestamp', description: 'When it was last changed.' },
    {
      name: 'project_notifications_count',
      type: 'integer',
      path: ['usage_summary', 'project_notifications_count'],
      description: 'Project notifications that use it.',
    },
    {
      name: 'collaborator_email_notifications_count',
      description: 'Collaborators’ email notifications that use it.',
      type: 'integer',
      path: ['usage_summary', 'collaborator_email_notifications_count'],
    },
    { name: 'usage_summary', type: 'json', description: 'Its whole usage summary (JSON).' },
  ],
  read: (ctx) => {
    const { project } = projectPartition(ctx, 'saved_searches');
    return refreshSteps(ctx, [
      {
        open: (resumeFrom) => ctx.api.savedSearches.list(project.id, resumeFrom ? { resumeFrom } : {}),
        toRecords: (items) => withUsage(ctx, project.id, items),
      },
    ]);
  },
});

async function withUsage(ctx: ReadContext, projectId: string, items: SavedSearch[]): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for (const s of items) {
    let usage: unknown = null;
    try {
      usage = await ctx.api.savedSearches.usageSummary(s.id);
    } catch (err) {
      // A search deleted between the list and this call has no summary any more; the search row is still true.
      if (!isSnagError(err, 'not_found')) throw err;
    }
    out.push(withParents({ ...s, usage_summary: usage }, { project_id: projectId }));
  }
  return out;
}
