import { z } from 'zod';
import { count, defineModel, normalizeTimestamps, num, str, timestamp } from './common.js';

export const TrendBucketSchema = z.looseObject({
  from: timestamp(),
  to: timestamp(),
  events_count: count(),
});
export type TrendBucket = z.infer<typeof TrendBucketSchema>;
export const TrendBucket = defineModel('a trend bucket', TrendBucketSchema, (b) =>
  normalizeTimestamps(b, ['from', 'to']),
);

export const StabilityPointSchema = z.looseObject({
  bucket_start: timestamp(),
  bucket_end: timestamp(),
  total_sessions_count: count(),
  unhandled_sessions_count: count(),
  unhandled_rate: num(),
  users_seen: count(),
  users_with_unhandled: count(),
  unhandled_user_rate: num(),
});
export type StabilityPoint = z.infer<typeof StabilityPointSchema>;

export const StabilityTrendSchema = z.looseObject({
  project_id: str(),
  release_stage_name: str(),
  timeline_points: z.array(StabilityPointSchema).nullish(),
});
export type StabilityTrend = z.infer<typeof StabilityTrendSchema>;
export const StabilityTrend = defineModel('a stability trend', StabilityTrendSchema, (t) =>
  t.timeline_points
    ? { ...t, timeline_points: t.timeline_points.map((p) => normalizeTimestamps(p, ['bucket_start', 'bucket_end'])) }
    : t,
);
