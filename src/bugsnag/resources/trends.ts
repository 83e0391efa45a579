import { SnagError, isSnagError } from '../../core/errors.js';
import type { ApiContext, CallOptions } from '../context.js';
import { isPrimaryStageMissing } from '../errors.js';
import { filterPairs, type Filters } from '../filters.js';
import { StabilityTrend, TrendBucket } from '../models/trend.js';
import { queryPairs, seg } from '../query.js';

export type TrendResolution = '1m' | '5m' | '30m' | '2h' | '12h';

/** Bugsnag needs exactly one of the two (400 without). */
export type TrendOptions = CallOptions & { filters?: Filters } & (
    | { bucketsCount: number; resolution?: never }
    | { resolution: TrendResolution; bucketsCount?: never }
  );

export interface TrendsResource {
  /** Project trend buckets: `/projects/{p}/trends`, falling back to `/trend` (see below). */
  forProject(projectId: string, options: TrendOptions): Promise<TrendBucket[]>;
  forError(projectId: string, errorId: string, options: TrendOptions): Promise<TrendBucket[]>;
  /** Which path answered (`trends` or `trend`), once one has. */
  readonly pathInUse: 'trends' | 'trend' | undefined;
}

export interface StabilityResource {
  /**
   * `GET /projects/{p}/stability_trend`: 30 daily points for the primary release stage. Null when there is no data:
   * 204 (no sessions) or 404 "does not have a primary release stage".
   */
  trend(projectId: string, options?: CallOptions): Promise<StabilityTrend | null>;
}

const RESOLUTIONS = new Set<string>(['1m', '5m', '30m', '2h', '12h']);

/**
 * The spec says `/trends`; the only real recordings (and Bugsnag's Ruby client) use `/trend`. Try the plural first,
 * fall back to the singular on 404, and remember per client whichever answered.
 */
export function trendsResource(api: ApiContext): TrendsResource {
  let pathInUse: 'trends' | 'trend' | undefined;

  async function fetchTrend(prefix: string, o: TrendOptions): Promise<TrendBucket[]> {
    const query = [...trendQuery(o), ...filterPairs(o.filters, api.now())];
    if (pathInUse) return api.getArray(`${prefix}/${pathInUse}`, query, TrendBucket, o);
    try {
      const rows = await api.getArray(`${prefix}/trends`, query, TrendBucket, o);
      pathInUse = 'trends';
      return rows;
    } catch (err) {
      if (!isSnagError(err, 'not_found')) throw err;
      const rows = await api.getArray(`${prefix}/trend`, query, TrendBucket, o);
      pathInUse = 'trend';
      return rows;
    }
  }

  return {
    forProject: async (projectId, o) => fetchTrend(`/projects/${seg('project id', projectId)}`, o),
    forError: async (projectId, errorId, o) =>
      fetchTrend(`/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}`, o),
    get pathInUse() {
      return pathInUse;
    },
  };
}

function trendQuery(o: TrendOptions): Array<[string, string]> {
  const hasBuckets = o.bucketsCount !== undefined;
  const hasResolution = o.resolution !== undefined;
  if (hasBuckets === hasResolution) {
    throw new SnagError('config', 'A trend needs either a bucket count or a resolution (not both).', {
      hint: 'Give bucketsCount (1 to 50) or resolution (1m, 5m, 30m, 2h, 12h).',
    });
  }
  if (hasBuckets && !(Number.isInteger(o.bucketsCount) && o.bucketsCount! >= 1 && o.bucketsCount! <= 50)) {
    throw new SnagError('config', `A trend's bucket count must be between 1 and 50, not ${String(o.bucketsCount)}.`, {
      hint: 'Bugsnag accepts 1 to 50 buckets.',
    });
  }
  if (hasResolution && !RESOLUTIONS.has(o.resolution!)) {
    throw new SnagError('config', `"${String(o.resolution)}" is not a trend resolution.`, {
      hint: 'Use 1m, 5m, 30m, 2h or 12h.',
    });
  }
  return queryPairs({ buckets_count: o.bucketsCount, resolution: o.resolution });
}

export function stabilityResource(api: ApiContext): StabilityResource {
  return {
    trend: async (projectId, o) => {
      try {
        return await api.getOptional(
          `/projects/${seg('project id', projectId)}/stability_trend`,
          [],
          StabilityTrend,
          o,
        );
      } catch (err) {
        if (err instanceof SnagError && isPrimaryStageMissing(err)) return null;
        throw err;
      }
    },
  };
}
