/**
 * The largest `per_page` each list accepts (docs/bugsnag-api.md §9). Over-limit values are not always clamped: releases answer
 * 400 above 10. Where no maximum is documented and no peer has used more, we send the documented default (30),
 * which cannot be over the limit.
 */
export const PAGE_SIZE = {
  organizations: 100,
  projects: 100, // also a collaborator's projects
  errors: 100,
  events: 30, // [APIB]: maximum 30
  releases: 10, // 1..10, 400 above (PostHog, 2026)
  releaseGroupReleases: 10, // a list of releases: same cap assumed
  releaseGroups: 100, // PostHog reads them at 100
  collaborators: 100,
  teams: 100, // PostHog reads them at 100
  comments: 30, // no documented maximum
  pivotValues: 30, // no documented maximum
  featureFlags: 30, // documented default 30, no maximum
  featureFlagVariants: 30, // no documented maximum
  spanGroups: 30, // span groups and page-load span groups: no documented default or maximum
} as const;

export type PagedList = keyof typeof PAGE_SIZE;

/** The page size to send: the caller's wish, never above the endpoint's maximum, never below 1. */
export function pageSize(list: PagedList, wanted?: number): number {
  const max = PAGE_SIZE[list];
  if (wanted === undefined || !Number.isFinite(wanted)) return max;
  return Math.min(max, Math.max(1, Math.floor(wanted)));
}
