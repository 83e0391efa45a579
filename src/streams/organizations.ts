import { OrganizationSchema } from '../bugsnag/models/organization.js';
import { defineListStream } from './list.js';

export const organizations = defineListStream({
  name: 'organizations',
  description: 'The organizations the token reaches (usually one).',
  endpoint: 'GET /user/organizations',
  schema: OrganizationSchema,
  primaryKey: ['id'],
  partition: 'global',
  columns: [
    { name: 'id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'slug', type: 'text' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'updated_at', type: 'timestamp' },
    { name: 'creator_id', type: 'text', path: ['creator', 'id'] },
    { name: 'creator_email', type: 'text', path: ['creator', 'email'] },
  ],
  list: (api) => api.organizations.list,
  // The planner needs the whole list every run, so a pass is never resumed half-way.
  resumable: false,
});
