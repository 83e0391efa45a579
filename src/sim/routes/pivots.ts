import { fail, json, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { list as listParam, scalar } from '../query/params.js';
import { errorWindowStats, residueMask } from '../data/counting.js';
import { endUser, type EventProto } from '../data/errors.js';
import type { ProjectData } from '../data/project.js';
import type { CompiledFilters } from '../query/filters.js';
import { filtersOf, requireError, requireProject, type Ctx } from './context.js';

/** Pivots: how a project's (or an error's) matching events spread over the values of a few event fields. */
export function pivotRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/pivots', (ctx, p) => pivots(ctx, requireProject(ctx, p.project_id), null));
  r.add('GET', '/projects/{project_id}/errors/{error_id}/pivots', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return pivots(ctx, pd, requireError(ctx, pd, p.error_id));
  });
}

type PivotKey = (p: EventProto, pd: ProjectData) => string | null;
const PIVOTS: Array<[string, string, PivotKey]> = [
  ['app.release_stage', 'Release stage', (p) => p.stage],
  ['version.seen_in', 'App version', (p) => p.appVersion],
  ['user.email', 'User email', (p, pd) => (p.user < 0 ? null : endUser(pd.world.opts.seed, pd.project.org, p.user).email)],
  ['os.name', 'OS', (p) => p.osName],
  ['browser.name', 'Browser', (p) => p.browserName],
  ['device.hostname', 'Hostname', (p) => p.hostname],
  ['device.model', 'Device model', (p) => p.model],
];

/** Value distributions over every matching event (counted arithmetically, per error and residue). */
function pivots(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  const f = filtersOf(ctx, pd);
  const sizeRaw = scalar(ctx.query, 'summary_size');
  if (sizeRaw !== undefined && !/^\d+$/.test(sizeRaw)) fail(400, 'summary_size must be a number');
  const size = sizeRaw === undefined ? 10 : Number(sizeRaw);
  const wanted = listParam(ctx.query, 'pivots', false);
  const lo = f.since === null ? 0 : pd.indexAt(f.since);
  const hi = pd.indexAt(Math.min(f.before ?? Infinity, ctx.sim.defaultBaseSec(ctx.nowMs)));
  const tallies = PIVOTS.filter(([id]) => !wanted || wanted.includes(id)).map(([id, name, key]) => ({ id, name, key, counts: new Map<string, number>(), none: 0 }));
  const errors = onlyError === null ? range(pd.errorCount) : [onlyError];
  for (const e of errors) tally(pd, e, f, lo, hi, tallies);
  return json(
    tallies.map((t) => {
      const sorted = [...t.counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      const shown = sorted.slice(0, size);
      const other = sorted.slice(size).reduce((n, [, c]) => n + c, 0);
      return {
        event_field_display_id: t.id,
        name: t.name,
        cardinality: sorted.length,
        summary: { list: shown.map(([value, events]) => ({ value, events })), no_value: t.none, other },
        average: null,
      };
    }),
  );
}

interface Tally {
  key: PivotKey;
  counts: Map<string, number>;
  none: number;
}

function tally(pd: ProjectData, e: number, f: CompiledFilters, lo: number, hi: number, tallies: Tally[]): void {
  if (!errorWindowStats(pd, e, f, lo, hi)) return;
  const seed = pd.errorSeed(e);
  const k0 = pd.occurrencesBelow(e, lo);
  const k1 = pd.occurrencesBelow(e, hi);
  const mask = residueMask(pd, e, f);
  for (let r = 0; r < seed.period; r++) {
    if (mask && !mask[r]) continue;
    const first = k0 + ((r - (k0 % seed.period) + seed.period) % seed.period);
    if (first >= k1) continue;
    const n = Math.floor((k1 - 1 - first) / seed.period) + 1;
    const proto = pd.proto(e, r);
    for (const t of tallies) {
      const v = t.key(proto, pd);
      if (v === null) t.none += n;
      else t.counts.set(v, (t.counts.get(v) ?? 0) + n);
    }
  }
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
