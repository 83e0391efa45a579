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
    { name: 'id', type: 'text', description: 'The organization id.' },
    { name: 'name', type: 'text', description: 'Its name.' },
    { name: 'slug', type: 'text', description: 'Its URL slug.' },
    { name: 'created_at', type: 'timestamp', description: 'When it was created.' },
    { name: 'updated_at', type: 'timestamp', description: 'When it was last changed.' },
    {
      name: 'creator_id',
      type: 'text',
      path: ['creator', 'id'],
      description: 'The collaborator who created it (collaborators.id).',
    },
    {
      name: 'creator_email',
      type: 'text',
      path: ['creator', 'email'],
      description: 'The email of the collaborator who created it.',
    },
  ],
  list: (api) => api.organizations.list,
  // The planner needs the whole list every run, so a pass is never resumed half-way.
  resumable: false,
});
