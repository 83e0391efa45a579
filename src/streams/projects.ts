import { z } from 'zod';
import { ProjectSchema } from '../bugsnag/models/project.js';
import { defineListStream } from './list.js';

export const projects = defineListStream({
  name: 'projects',
  description: "Each organization's projects (notifier API keys are left out: they are credentials, not data).",
  endpoint: 'GET /organizations/{organization_id}/projects',
  schema: ProjectSchema.extend({ organization_id: z.string() }),
  primaryKey: ['organization_id', 'id'],
  partition: 'organization',
  columns: [
    { name: 'organization_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'slug', type: 'text' },
    { name: 'type', type: 'text' },
    { name: 'language', type: 'text' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'updated_at', type: 'timestamp' },
    { name: 'release_stages', type: 'json' },
    { name: 'open_error_count', type: 'integer' },
    { name: 'for_review_error_count', type: 'integer' },
    { name: 'collaborators_count', type: 'integer' },
    { name: 'html_url', type: 'text' },
  ],
  list: (api) => api.projects.list,
  // The planner needs the whole list every run, so a pass is never resumed half-way.
  resumable: false,
});
