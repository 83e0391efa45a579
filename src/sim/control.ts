import { z } from 'zod';
import type { Simulator } from './simulator.js';
import type { Reply } from './http/reply.js';
import { FaultSpecError } from './http/faults.js';
import { WebhookConfigError } from './webhooks/hub.js';
import { STATUSES } from './data/errors.js';
import { ChangeTimeError } from './truth/error-history.js';
import { ScriptError } from './truth/script.js';

/**
 * `/__sim/…`: the simulator's own control API, for tests, demos and anyone driving it from another process. No
 * Bugsnag token is needed, so it only exists when the simulator listens on a loopback address.
 *
 *   GET    /__sim                 url, tokens, fixtures, organizations and projects
 *   GET    /__sim/stats           request statistics          POST /__sim/stats/reset
 *   POST   /__sim/events          {project_id?, error_id?, count?, reopen?} add events now (newest first in lists)
 *   POST   /__sim/errors          {project_id?, count?, events_per_error?} add new errors (with their events) now
 *   POST   /__sim/releases        {version, project_id?, release_stage?, version_code?, builder_name?} a release now
 *   POST   /__sim/tokens/revoke   {token}                    POST /__sim/tokens/restore {token}
 *   GET    /__sim/faults          current fault spec          PUT|POST /__sim/faults {spec}   DELETE /__sim/faults
 *   GET    /__sim/webhooks        targets and delivery counts POST /__sim/webhooks {url, triggers, …} (webhooks/hub.ts)
 *   DELETE /__sim/webhooks/{id}   remove one                  DELETE /__sim/webhooks          remove all
 *   GET    /__sim/notify          what POST /notify and /sessions took and refused
 *   POST   /__sim/errors/change   {error_id, project_id?, status?, severity?, assigned_collaborator_id?,
 *                                  assigned_team_id?, at?}    set an error's state, dated at (default now, never later)
 *   POST   /__sim/errors/delete   {error_id, project_id?, at?}             delete an error
 *   GET    /__sim/errors/history?project_id=…[&error_id=…]   the truth of error histories (changes and intervals)
 */
const AddEvents = z.object({
  project_id: z.string().optional(),
  error_id: z.string().optional(),
  count: z.number().int().min(1).max(100_000).default(1),
  reopen: z.boolean().default(false),
  // Any keys a user's app may send: kept as parsed from the body (a zod record would copy it, losing `__proto__`).
  meta_data: z
    .unknown()
    .refine((v) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v)), 'an object')
    .optional(),
  breadcrumbs: z
    .unknown()
    .refine((v) => v === undefined || Array.isArray(v), 'a list')
    .optional(),
});
const AddErrors = z.object({
  project_id: z.string().optional(),
  count: z.number().int().min(1).max(10_000).default(1),
  events_per_error: z.number().int().min(1).max(10_000).default(1),
});
const AddRelease = z.object({
  project_id: z.string().optional(),
  version: z.string().min(1).max(200),
  release_stage: z.string().min(1).max(100).optional(),
  version_code: z.string().max(100).optional(),
  builder_name: z.string().max(200).optional(),
});
const At = z.union([z.string(), z.number()]).optional();
const ChangeError = z.object({
  project_id: z.string().optional(),
  error_id: z.string().min(1),
  status: z.enum(STATUSES).optional(),
  severity: z.enum(['error', 'warning', 'info']).optional(),
  assigned_collaborator_id: z.string().nullable().optional(),
  assigned_team_id: z.string().nullable().optional(),
  at: At,
});
const DeleteError = z.object({ project_id: z.string().optional(), error_id: z.string().min(1), at: At });
const TokenBody = z.object({ token: z.string().min(1) });
const FaultsBody = z.object({ spec: z.string() });

export async function handleControl(
  sim: Simulator,
  method: string,
  path: string,
  body: unknown,
  query: URLSearchParams = new URLSearchParams(),
): Promise<Reply> {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  try {
    const hook = /^DELETE \/__sim\/webhooks\/([^/]+)$/.exec(route);
    if (hook)
      return sim.webhooks.remove(hook[1]!)
        ? ok({ removed: hook[1] })
        : { status: 404, body: { error: `no webhook ${hook[1]}` } };
    switch (route) {
      case 'GET /__sim':
        return ok(sim.info());
      case 'GET /__sim/stats':
        return ok(sim.stats());
      case 'POST /__sim/stats/reset':
        sim.resetStats();
        return ok(sim.stats());
      case 'POST /__sim/events': {
        const b = AddEvents.parse(body ?? {});
        return ok({
          events: sim.addEvents({
            projectId: b.project_id,
            errorId: b.error_id,
            count: b.count,
            reopen: b.reopen,
            ...(b.meta_data ? { metaData: b.meta_data as Record<string, unknown> } : {}),
            ...(b.breadcrumbs ? { breadcrumbs: b.breadcrumbs as unknown[] } : {}),
          }),
        });
      }
      case 'POST /__sim/errors': {
        const b = AddErrors.parse(body ?? {});
        return ok({
          errors: sim.addErrors({ projectId: b.project_id, count: b.count, eventsPerError: b.events_per_error }),
        });
      }
      case 'POST /__sim/releases': {
        const b = AddRelease.parse(body ?? {});
        return ok({
          release: sim.addRelease({
            projectId: b.project_id,
            version: b.version,
            releaseStage: b.release_stage,
            versionCode: b.version_code,
            builderName: b.builder_name,
          }),
        });
      }
      case 'POST /__sim/errors/change': {
        const b = ChangeError.parse(body ?? {});
        return ok(
          sim.changeError({
            projectId: b.project_id,
            errorId: b.error_id,
            status: b.status,
            severity: b.severity,
            assignedCollaboratorId: b.assigned_collaborator_id,
            assignedTeamId: b.assigned_team_id,
            at: b.at,
          }),
        );
      }
      case 'POST /__sim/errors/delete': {
        const b = DeleteError.parse(body ?? {});
        return ok(sim.deleteError({ projectId: b.project_id, errorId: b.error_id, at: b.at }));
      }
      case 'GET /__sim/errors/history': {
        const projectId = query.get('project_id');
        if (!projectId) throw new ControlError('project_id is required');
        return ok({ errors: sim.errorHistory(projectId, query.get('error_id') ?? undefined) });
      }
      case 'POST /__sim/tokens/revoke':
        sim.revokeToken(TokenBody.parse(body).token);
        return ok({ revoked: true });
      case 'POST /__sim/tokens/restore':
        sim.restoreToken(TokenBody.parse(body).token);
        return ok({ revoked: false });
      case 'GET /__sim/faults':
        return ok({ spec: sim.faults() });
      case 'PUT /__sim/faults':
      case 'POST /__sim/faults':
        sim.setFaults(FaultsBody.parse(body).spec);
        return ok({ spec: sim.faults() });
      case 'DELETE /__sim/faults':
        sim.setFaults('');
        return ok({ spec: '' });
      case 'GET /__sim/webhooks':
        return ok({ webhooks: sim.webhooks.list() });
      case 'POST /__sim/webhooks':
        return { status: 201, body: sim.webhooks.add(body ?? {}) };
      case 'DELETE /__sim/webhooks':
        sim.webhooks.removeAll();
        return ok({ webhooks: [] });
      case 'GET /__sim/notify':
        return ok(sim.notifyStats());
      default:
        return { status: 404, body: { error: `no control endpoint ${route}` } };
    }
  } catch (err) {
    if (err instanceof z.ZodError)
      return {
        status: 400,
        body: { error: 'invalid body', issues: err.issues.map((i) => `${i.path.join('.')}: ${i.message}`) },
      };
    if (
      err instanceof FaultSpecError ||
      err instanceof ControlError ||
      err instanceof WebhookConfigError ||
      err instanceof ScriptError ||
      err instanceof ChangeTimeError
    )
      return { status: 400, body: { error: err.message } };
    throw err;
  }
}

export class ControlError extends Error {}

const ok = (body: unknown): Reply => ({ status: 200, body });
