import { z } from 'zod';
import { TeamSchema } from '../bugsnag/models/collaborator.js';
import { refreshList } from './refresh.js';
import { defineStream } from './types.js';
import { orgPartition, withParents } from './util.js';

/** Organization administrators only: for anyone else the 403 skips this stream for the organization, with a warning. */
export const teams = defineStream({
  name: 'teams',
  description: "The organization's teams (organization administrators only).",
  endpoint: 'GET /organizations/{organization_id}/teams',
  schema: TeamSchema.extend({ organization_id: z.string() }),
  primaryKey: ['organization_id', 'id'],
  partition: 'organization',
  syncModes: ['full_refresh'],
  heavy: false,
  columns: [
    { name: 'organization_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'collaborator_count', type: 'integer' },
    { name: 'project_count', type: 'integer' },
  ],
  read: (ctx) => {
    const org = orgPartition(ctx, 'teams').organization;
    return refreshList(
      ctx,
      (resumeFrom) => ctx.api.teams.list(org.id, resumeFrom ? { resumeFrom } : {}),
      (t) => withParents(t, { organization_id: org.id }),
    );
  },
});
