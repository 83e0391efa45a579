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
    { name: 'organization_id', type: 'text', description: 'The organization (organizations.id).' },
    { name: 'id', type: 'text', description: 'The project id.' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'slug', type: 'text', description: 'Its URL slug.' },
    { name: 'type', type: 'text', description: 'Its platform type (android, rails, js, …).' },
    { name: 'language', type: 'text', description: 'Its main language.' },
    { name: 'created_at', type: 'timestamp', description: 'When it was created.' },
    { name: 'updated_at', type: 'timestamp', description: 'When it was last changed.' },
    { name: 'release_stages', type: 'json', description: 'The release stages it has seen (JSON array).' },
    {
      name: 'open_error_count',
      type: 'integer',
      description: 'Errors open now, as Bugsnag counts them when the project was read.',
    },
    {
      name: 'for_review_error_count',
      type: 'integer',
      description: 'Errors for review now, as Bugsnag counts them when the project was read.',
    },
    { name: 'collaborators_count', type: 'integer', description: 'Collaborators with access to it.' },
    { name: 'html_url', type: 'text', description: 'Its page on the Bugsnag dashboard.' },
    {
      name: 'stability_target_type',
      type: 'text',
      description: 'What its stability is measured on: user or session.',
    },
    { name: 'target_stability', type: 'json', description: 'Its target stability (JSON, as Bugsnag sends it).' },
    {
      name: 'critical_stability',
      type: 'json',
      description: 'The stability below which it is critical (JSON, as Bugsnag sends it).',
    },
  ],
  list: (api) => api.projects.list,
  // The planner needs the whole list every run, so a pass is never resumed half-way.
  resumable: false,
});
