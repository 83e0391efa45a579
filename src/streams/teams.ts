import { z } from 'zod';
import { TeamSchema } from '../bugsnag/models/collaborator.js';
import { defineListStream } from './list.js';

/** Organization administrators only: for anyone else the 403 skips this stream for the organization, with a warning. */
export const teams = defineListStream({
  name: 'teams',
  // Changes seldom: read once a day by default, not by every sync (docs/sync.md, Stream intervals).
  refreshEvery: '1d',
  description: "The organization's teams (organization administrators only).",
  endpoint: 'GET /organizations/{organization_id}/teams',
  schema: TeamSchema.extend({ organization_id: z.string() }),
  primaryKey: ['organization_id', 'id'],
  partition: 'organization',
  columns: [
    { name: 'organization_id', type: 'text', description: 'The organization (organizations.id).' },
    { name: 'id', type: 'text', description: 'The team id (errors.assigned_team_id).' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'collaborator_count', type: 'integer', description: 'Its members.' },
    { name: 'project_count', type: 'integer', description: 'Projects it has access to.' },
  ],
  list: (api) => api.teams.list,
});
