import { isoOffset } from '../format.js';
import type { ProjectData } from '../data/project.js';
import type { ReleaseGroupSeed, ReleaseSeed } from '../data/releases.js';

/** Releases use `+00:00` timestamps (2021 recordings). */
export function releaseView(pd: ProjectData, r: ReleaseSeed): Record<string, unknown> {
  const group = pd.releases.groups[r.group]!;
  return {
    id: r.id,
    project_id: pd.project.id,
    release_group_id: group.id,
    release_time: isoOffset(r.timeSec),
    release_source: r.source,
    app_version: r.appVersion,
    app_version_code: r.versionCode,
    app_bundle_version: '',
    build_label: r.buildLabel,
    builder_name: r.builderName,
    build_tool: r.buildTool,
    errors_introduced_count: r.errorsIntroduced,
    errors_seen_count: r.errorsSeen,
    sessions_count_in_last_24h: r.sessions24h,
    total_sessions_count: r.totalSessions,
    unhandled_sessions_count: r.unhandledSessions,
    accumulative_daily_users_seen: r.usersSeen,
    accumulative_daily_users_with_unhandled: r.usersWithUnhandled,
    metadata: r.revision ? { git_branch: 'main' } : {},
    release_stage: { name: r.stage },
    ...(r.revision ? { source_control: sourceControl(pd, r.revision, r.appVersion) } : {}),
  };
}

export function releaseGroupView(pd: ProjectData, g: ReleaseGroupSeed): Record<string, unknown> {
  const rels = g.releases.map((i) => pd.releases.releases[i]!);
  const first = rels[0]!;
  const latest = rels[rels.length - 1]!;
  const sum = (f: (r: ReleaseSeed) => number) => rels.reduce((n, r) => n + f(r), 0);
  return {
    id: g.id,
    project_id: pd.project.id,
    release_stage_name: g.stage,
    app_version: g.appVersion,
    first_released_at: isoOffset(first.timeSec),
    first_release_id: first.id,
    releases_count: rels.length,
    has_secondary_versions: rels.length > 1,
    build_tool: latest.buildTool,
    builder_name: latest.builderName,
    ...(latest.revision
      ? { source_control: { ...sourceControl(pd, latest.revision, g.appVersion), previous_app_version: '' } }
      : {}),
    total_sessions_count: sum((r) => r.totalSessions),
    unhandled_sessions_count: sum((r) => r.unhandledSessions),
    sessions_count_in_last_24h: sum((r) => r.sessions24h),
    accumulative_daily_users_seen: sum((r) => r.usersSeen),
    accumulative_daily_users_with_unhandled: sum((r) => r.usersWithUnhandled),
    top_release_group: g.top,
    visible: g.visible,
  };
}

function sourceControl(pd: ProjectData, revision: string, version: string): Record<string, string> {
  const repo = `https://github.com/example/${pd.project.slug}`;
  return {
    service: 'github',
    commit_url: `${repo}/commit/${revision}`,
    revision,
    diff_url_to_previous: `${repo}/compare/${version}`,
  };
}
