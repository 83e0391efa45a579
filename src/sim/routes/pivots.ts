import { fail, json, type Reply } from '../http/reply.js';
import type { Router } from '../http/router.js';
import { list as listParam, scalar } from '../query/params.js';
import { eventRange } from '../data/counting.js';
import { PIVOTS, tallyPivots } from '../data/pivots.js';
import type { ProjectData } from '../data/project.js';
import { pivotSummaryView } from '../views/pivots.js';
import { filtersOf, requireError, requireProject, type Ctx } from './context.js';
import { errorsOf, pivotValues } from './pivot-values.js';

/** Pivots: how a project's (or an error's) matching events spread over the values of its pivotable event fields. */
export function pivotRoutes(r: Router<Ctx>): void {
  r.add('GET', '/projects/{project_id}/pivots', (ctx, p) => pivots(ctx, requireProject(ctx, p.project_id), null));
  r.add('GET', '/projects/{project_id}/errors/{error_id}/pivots', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return pivots(ctx, pd, requireError(ctx, pd, p.error_id));
  });
  r.add('GET', '/projects/{project_id}/pivots/{event_field_display_id}/values', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return pivotValues(ctx, pd, null, p.event_field_display_id);
  });
  // The client has no method for the per-error variant, but the spec has it and it costs one line: serve it too.
  r.add('GET', '/projects/{project_id}/errors/{error_id}/pivots/{event_field_display_id}/values', (ctx, p) => {
    const pd = requireProject(ctx, p.project_id);
    return pivotValues(ctx, pd, requireError(ctx, pd, p.error_id), p.event_field_display_id);
  });
}

/** The summary: every matching event counted once per pivot (as of now; the summary takes no `base`). */
function pivots(ctx: Ctx, pd: ProjectData, onlyError: number | null): Reply {
  const f = filtersOf(ctx, pd);
  const sizeRaw = scalar(ctx.query, 'summary_size');
  if (sizeRaw !== undefined && !/^\d+$/.test(sizeRaw)) fail(400, 'summary_size must be a number');
  const size = sizeRaw === undefined ? 10 : Number(sizeRaw);
  const wanted = listParam(ctx.query, 'pivots', false);
  const [lo, hi] = eventRange(pd, f, ctx.sim.defaultBaseSec(ctx.nowMs));
  const defs = PIVOTS.filter((d) => !wanted || wanted.includes(d.id));
  return json(tallyPivots(pd, errorsOf(pd, onlyError), f, lo, hi, defs).map((t) => pivotSummaryView(t, size)));
}
