import { OrganizationSchema } from '../bugsnag/models/organization.js';
import { refreshList } from './refresh.js';
import { defineStream } from './types.js';
import { withoutSecrets } from './util.js';

export const organizations = defineStream({
  name: 'organizations',
  description: 'The organizations the token reaches (usually one).',
  endpoint: 'GET /user/organizations',
  schema: OrganizationSchema,
  primaryKey: ['id'],
  partition: 'global',
  syncModes: ['full_refresh'],
  heavy: false,
  columns: [
    { name: 'id', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'slug', type: 'text' },
    { name: 'created_at', type: 'timestamp' },
    { name: 'updated_at', type: 'timestamp' },
    { name: 'creator_id', type: 'text', path: ['creator', 'id'] },
    { name: 'creator_email', type: 'text', path: ['creator', 'email'] },
  ],
  // The planner needs the whole list every run, so a pass is never resumed half-way.
  read: (ctx) => refreshList(ctx, (resumeFrom) => ctx.api.organizations.list(resumeFrom ? { resumeFrom } : {}), withoutSecrets, { resumable: false }),
});
