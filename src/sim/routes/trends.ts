import { fail, json, noContent, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { scalar } from '../query/params.js';
import { hash, hashString } from '../prng.js';
import { countEvents } from '../data/counting.js';
import type { ProjectData } from '../data/project.js';
import { isoMs, isoZ } from '../format.js';
import { filtersOf, requireError, requireProject, type Ctx } from './context.js';

const DAY = 86_400;
const RESOLUTIONS: Record<string, number> = { '1m': 60, '5m': 300, '30m': 1800, '2h': 7200, '12h': 43_200 };
const MAX_POINTS = 2000;

/** Event-count trends (bucketed or by resolution) and the daily stability trend. */
export function trendRoutes(r: Router<Ctx>): void {
  // `/trend` is what the recordings show, `/trends` what the spec says; both answer (docs/bugsnag-api.md §7).
  for (const name of ['trend', 'trends']) {
    r.add('GET', `/projects/{project_id}/${name}`, (ctx, p) => trend(ctx, requireProject(ctx, p.project_id), null));
    r.add('GET', `/projects/{project_id}/errors/{error_id}/${name}`, (ctx, p) => {
      const pd = requireProject(ctx, p.project_id);
      return trend(ctx, pd, requireError(ctx, pd, p.error_id));
    });
  }
  r.add('GET', '/projects/{project_id}/stability_trend', (ctx, p) => stability(ctx, requireProject(ctx, p.project_id)));
}

function trend(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  const f = filtersOf(ctx, pd);
  const bucketsRaw = scalar(ctx.query, 'buckets_count');
  const resolution = scalar(ctx.query, 'resolution');
  if (bucketsRaw === undefined && resolution === undefined)
    fail(400, 'Either buckets_count or resolution must be provided');
  const nowSec = Math.floor(ctx.nowMs / 1000);
  const firstEvent =
    onlyError === null ? (pd.totalEvents > 0 ? pd.timeOf(0) : nowSec) : pd.timeOf(pd.occurrenceIndex(onlyError, 0));
  const from = Math.max(f.since ?? firstEvent, firstEvent);
  const to = Math.max(from + 1, Math.min(f.before ?? nowSec, nowSec));
  const bounds: number[] = [];
  if (bucketsRaw !== undefined) {
    const n = Number(bucketsRaw);
    if (!Number.isInteger(n) || n < 1 || n > 50) fail(400, 'Buckets count must be between 1 and 50');
    for (let j = 0; j <= n; j++) bounds.push(from + Math.round((j * (to - from)) / n));
  } else {
    const width = RESOLUTIONS[resolution ?? ''];
    if (!width) fail(400, 'Resolution is not included in the list');
    const start = Math.floor(from / width) * width;
    const end = Math.ceil(to / width) * width;
    if ((end - start) / width > MAX_POINTS)
      fail(400, 'Too many data points requested. Please use a narrower time range or lower resolution.');
    for (let t = start; t <= end; t += width) bounds.push(t);
  }
  const rows = [];
  for (let j = 0; j + 1 < bounds.length; j++) {
    const a = bounds[j]!;
    const b = bounds[j + 1]!;
    rows.push({
      from: isoZ(a),
      to: isoZ(b),
      events_count: countEvents(pd, f, pd.indexAt(a), pd.indexAt(b), onlyError ?? undefined),
    });
  }
  return json(rows);
}

/** One point per UTC day for the 30 days before today, primary release stage only; 204 / 404 as documented. */
function stability(ctx: Ctx, pd: ProjectData): Reply {
  const p = pd.project;
  if (!p.primaryStage) fail(404, 'This project does not have a primary release stage');
  if (!p.hasSessions) return noContent();
  const today = Math.floor(ctx.nowMs / 1000 / DAY) * DAY;
  const points = [];
  for (let d = 30; d >= 1; d--) {
    const start = today - d * DAY;
    const h = hash(pd.seed, hashString('stability'), start / DAY);
    const total = h % 7 === 0 ? 0 : 200 + (h % 5000);
    const unhandled = total === 0 ? 0 : (h >>> 8) % Math.max(1, Math.floor(total / 25));
    const users = Math.floor(total / 3);
    const usersUnhandled = Math.min(users, Math.ceil(unhandled / 2));
    points.push({
      bucket_start: isoMs(start * 1000),
      bucket_end: isoMs((start + DAY) * 1000),
      total_sessions_count: total,
      unhandled_sessions_count: unhandled,
      unhandled_rate: total === 0 ? 0 : round4(unhandled / total),
      users_seen: users,
      users_with_unhandled: usersUnhandled,
      unhandled_user_rate: users === 0 ? 0 : round4(usersUnhandled / users),
    });
  }
  return json({ project_id: p.id, release_stage_name: p.primaryStage, timeline_points: points });
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
