import { countEvents, eventRange } from '../data/counting.js';
import type { EdrPart, EdrRecord, EdrStatus } from '../edr/store.js';
import { fail, json, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { compileFilters, FilterError } from '../query/filters.js';
import { isHash, type QHash, type QValue } from '../query/params.js';
import { isoMs } from '../format.js';
import { filterEnv, requireOrg, requireProject, type Ctx } from './context.js';

/**
 * `POST /projects/{id}/event_data_requests`, `POST /organizations/{id}/event_data_requests` and their `GET …/{id}`
 * (docs/bugsnag-api.md §2.13). Both count against the token's rate limit like any API call; the download they lead to
 * (edr/download.ts) does not. Where the API is silent the choices are in docs/simulator-edr.md.
 */
export function eventDataRequestRoutes(r: Router<Ctx>): void {
  r.add('POST', '/projects/{project_id}/event_data_requests', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return create(ctx, { kind: 'project', id: pd.project.id }, [pd.project.gi], pd.project.org);
  });
  r.add('GET', '/projects/{project_id}/event_data_requests/{id}', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return show(ctx, { kind: 'project', id: pd.project.id }, p.id);
  });
  r.add('POST', '/organizations/{organization_id}/event_data_requests', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    // The organization's projects this token can see (a member without access to a project gets none of its events).
    const gis = org.projects.filter((gi) => ctx.sim.world.canSeeProject(ctx.token, gi));
    return create(ctx, { kind: 'organization', id: org.id }, gis, org.index);
  });
  r.add('GET', '/organizations/{organization_id}/event_data_requests/{id}', (ctx, p) => {
    const org = requireOrg(ctx, p.organization_id);
    return show(ctx, { kind: 'organization', id: org.id }, p.id);
  });
}

function create(ctx: Ctx, scope: EdrRecord['scope'], gis: number[], org: number): Reply {
  const body = ctx.body;
  if (!isPlainObject(body)) fail(400, 'The request body must be a JSON object with filters');
  if (body.filters === undefined || body.filters === null) fail(400, 'filters is missing');
  const filters = toQValue(body.filters, 'filters');
  if (!isHash(filters)) fail(400, 'filters must be an object of field names');
  const reportType = body.report_type ?? null;
  if (reportType !== null && reportType !== 'gdpr') fail(400, 'report_type is not included in the list');

  let compiled: ReturnType<typeof compileFilters>;
  try {
    compiled = compileFilters(filters, filterEnv(ctx, org));
  } catch (err) {
    if (err instanceof FilterError) fail(400, err.message);
    throw err;
  }

  // A snapshot, fixed like a paging walk's base: events added from now on are not in it.
  const baseSec = ctx.sim.defaultBaseSec(ctx.nowMs);
  ctx.sim.noteBase(baseSec, ctx.nowMs);
  const parts: EdrPart[] = [];
  let total = 0;
  for (const gi of gis) {
    const pd = ctx.sim.project(gi);
    const [lo, hi] = eventRange(pd, compiled, baseSec);
    parts.push({ gi, lo, hi });
    total += countEvents(pd, compiled, lo, hi);
  }
  const max = ctx.sim.opts.edrMaxEvents;
  if (total > max) {
    fail(
      400,
      `This event data request would contain ${total} events, more than the maximum of ${max} per request. ` +
        'Narrow the filters (for example with event.since and event.before) and make several requests.',
    );
  }

  const edr = ctx.sim.edr;
  const record: EdrRecord = {
    id: ctx.sim.world.ids.encode('eventDataRequest', 0, edr.nextIndex()),
    scope,
    filters,
    compiled,
    reportType,
    parts,
    total,
    createdMs: ctx.nowMs,
  };
  edr.add(record);
  // The POST always answers PREPARING, even with no preparation time: the job has only just been queued.
  return json(view(ctx, record, 'PREPARING'), undefined, 201);
}

function show(ctx: Ctx, scope: EdrRecord['scope'], id: string | undefined): Reply {
  const record = id ? ctx.sim.edr.get(id) : undefined;
  // A request is only found under the project or organization it was made for.
  if (!record || record.scope.kind !== scope.kind || record.scope.id !== scope.id)
    fail(404, 'Event data request not found');
  return json(view(ctx, record));
}

/** EventDataRequestApiView: `total` is null while PREPARING, `url` only while COMPLETED, expiry once completed. */
function view(ctx: Ctx, r: EdrRecord, forced?: EdrStatus): Record<string, unknown> {
  const edr = ctx.sim.edr;
  const status = forced ?? edr.status(r, ctx.nowMs);
  const completed = status === 'COMPLETED' || status === 'EXPIRED';
  return {
    id: r.id,
    status,
    url: status === 'COMPLETED' ? edr.signedUrl(ctx.origin, r, ctx.nowMs) : null,
    total: status === 'PREPARING' ? null : r.total,
    report_type: r.reportType,
    filters: r.filters,
    created_at: isoMs(r.createdMs),
    completed_at: completed ? isoMs(edr.completedMs(r)) : null,
    expires_at: completed ? isoMs(edr.expiresMs(r)) : null,
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The JSON body's filters in the shape the query-string parser produces, so the events list's own filter code reads
 * them. Values must be strings, as everywhere in the API's filters (docs/bugsnag-api.md §4.2).
 */
function toQValue(v: unknown, at: string): QValue {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map((x, i) => toQValue(x, `${at}[${i}]`));
  if (isPlainObject(v)) {
    const out: QHash = {};
    for (const [k, x] of Object.entries(v)) out[k] = toQValue(x, `${at}.${k}`);
    return out;
  }
  fail(400, `${at} must be a string (filter values are strings, e.g. "true" or "2024-05-01T00:00:00Z")`);
}
