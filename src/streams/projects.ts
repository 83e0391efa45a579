import { z } from 'zod';
import { ProjectSchema } from '../bugsnag/models/project.js';
import { refreshList } from './refresh.js';
import { defineStream } from './types.js';
import { orgPartition, withoutSecrets, withParents } from './util.js';

export const projects = defineStream({
  name: 'projects',
  description: "Each organization's projects (notifier API keys are left out: they are credentials, not data).",
  endpoint: 'GET /organizations/{organization_id}/projects',
  schema: ProjectSchema.extend({ organization_id: z.string() }),
  primaryKey: ['organization_id', 'id'],
  partition: 'organization',
  syncModes: ['full_refresh'],
  heavy: false,
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
  read: (ctx) => {
    const org = orgPartition(ctx, 'projects').organization;
    return refreshList(
      ctx,
      (resumeFrom) => ctx.api.projects.list(org.id, resumeFrom ? { resumeFrom } : {}),
      (p) => withParents(withoutSecrets(p), { organization_id: org.id }),
      { resumable: false },
    );
  },
});
