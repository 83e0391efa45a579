import { hash, hashString, Rng } from '../prng.js';
import type { IdCodec } from '../ids.js';
import type { ProjectSeed } from './world.js';

export const RELEASE_SOURCES = [
  'unknown_source',
  'event',
  'session',
  'api',
  'deploy',
  'error',
  'error_incomplete_build',
] as const;
export type ReleaseSource = (typeof RELEASE_SOURCES)[number];

export interface ReleaseSeed {
  index: number;
  id: string;
  stage: string;
  appVersion: string;
  versionCode: string;
  buildLabel: string;
  timeSec: number;
  source: ReleaseSource;
  builderName: string;
  buildTool: string;
  group: number;
  errorsIntroduced: number;
  errorsSeen: number;
  sessions24h: number;
  totalSessions: number;
  unhandledSessions: number;
  usersSeen: number;
  usersWithUnhandled: number;
  revision: string | null;
}

export interface ReleaseGroupSeed {
  index: number;
  id: string;
  stage: string;
  appVersion: string;
  /** Release indexes, oldest first. */
  releases: number[];
  top: boolean;
  visible: boolean;
}

export interface ReleaseSet {
  releases: ReleaseSeed[];
  groups: ReleaseGroupSeed[];
  /** Versions per release stage, oldest first: events report one of the newest few. */
  versionsByStage: Map<string, string[]>;
}

/**
 * Releases are few per project (the API pages them 5–10 at a time), so they are built in full on first use. They are
 * spread over the same history window as the events, with semantic versions bumped per release stage; a quarter of
 * versions get a second build, which makes release groups with more than one release.
 */
export function buildReleases(
  seed: number,
  ids: IdCodec,
  project: ProjectSeed,
  count: number,
  startSec: number,
  spanSec: number,
): ReleaseSet {
  const releases: ReleaseSeed[] = [];
  const groups: ReleaseGroupSeed[] = [];
  const versionsByStage = new Map<string, string[]>();
  const lastGroupOfStage = new Map<string, number>();
  const counters = new Map<string, [number, number, number]>();
  const stages = project.releaseStages;
  for (let r = 0; r < count; r++) {
    const rng = Rng.of(seed, hashString('release'), project.gi, r);
    const stage = stageFor(stages, r);
    const last = lastGroupOfStage.get(stage);
    const prevGroup = last === undefined ? undefined : groups[last];
    let group: number;
    let appVersion: string;
    if (prevGroup && prevGroup.releases.length === 1 && rng.chance(1, 4)) {
      group = prevGroup.index;
      appVersion = prevGroup.appVersion;
    } else {
      const [maj, min, pat] = counters.get(stage) ?? [1, stage === 'production' ? 0 : 1, 0];
      const next: [number, number, number] = rng.chance(1, 5) ? [maj, min + 1, 0] : [maj, min, pat + 1];
      counters.set(stage, next);
      appVersion =
        stage === 'production'
          ? `${maj}.${min}.${pat}`
          : `${maj}.${min}.${pat}-${stage === 'staging' ? 'rc' : 'dev'}.${r}`;
      group = groups.length;
      groups.push({
        index: group,
        id: ids.encode('releaseGroup', project.gi, group),
        stage,
        appVersion,
        releases: [],
        top: false,
        visible: true,
      });
      lastGroupOfStage.set(stage, group);
      const list = versionsByStage.get(stage) ?? [];
      list.push(appVersion);
      versionsByStage.set(stage, list);
    }
    groups[group]!.releases.push(r);
    const slot = Math.max(1, Math.floor(spanSec / count));
    const total = project.hasSessions ? rng.between(0, 5000) : 0;
    const unhandled = total === 0 ? 0 : rng.int(Math.max(1, Math.floor(total / 20)));
    const build = groups[group]!.releases.length;
    releases.push({
      index: r,
      id: ids.encode('release', project.gi, r),
      stage,
      appVersion,
      versionCode: project.kind.platform === 'mobile' ? String(100 + r) : '',
      buildLabel: build > 1 ? `${appVersion}+build.${build}` : appVersion,
      timeSec: startSec + r * slot + rng.int(slot),
      source: RELEASE_SOURCES[1 + rng.int(RELEASE_SOURCES.length - 1)]!,
      builderName: rng.chance(1, 2) ? '' : ['ci-bot', 'deploy@ci', 'jenkins'][rng.int(3)]!,
      buildTool: rng.chance(1, 2) ? '' : ['bugsnag-cli', 'gradle', 'fastlane', 'webpack'][rng.int(4)]!,
      group,
      errorsIntroduced: rng.int(6),
      errorsSeen: rng.int(20),
      sessions24h: total === 0 ? 0 : rng.int(Math.max(1, Math.floor(total / 30))),
      totalSessions: total,
      unhandledSessions: unhandled,
      usersSeen: total === 0 ? 0 : Math.max(1, Math.floor(total / 3)),
      usersWithUnhandled: unhandled === 0 ? 0 : Math.max(1, Math.floor(unhandled / 2)),
      revision: rng.chance(2, 3) ? rng.hex(40) : null,
    });
  }
  // The three newest groups of each stage are "top" groups; one in seven is hidden, so visible_only filters something.
  const perStage = new Map<string, number>();
  for (let g = groups.length - 1; g >= 0; g--) {
    const grp = groups[g]!;
    const n = perStage.get(grp.stage) ?? 0;
    grp.top = n < 3;
    grp.visible = hash(seed, project.gi, g) % 7 !== 3;
    perStage.set(grp.stage, n + 1);
  }
  return { releases, groups, versionsByStage };
}

function stageFor(stages: string[], r: number): string {
  const has = (s: string) => stages.includes(s);
  if (r % 4 === 3 && has('staging')) return 'staging';
  if (r % 7 === 5 && has('development')) return 'development';
  return has('production') ? 'production' : stages[r % stages.length]!;
}

export interface NewRelease {
  appVersion: string;
  stage: string;
  versionCode?: string;
  builderName?: string;
  source: ReleaseSource;
}

/**
 * A release made at run time (a notified event naming a version the stage has not seen, or `POST /__sim/releases`,
 * Bugsnag's Build API): appended to the project's set, joining the group of the same stage and version, else a new
 * group that becomes the stage's newest "top" group. The versions generated events report are left alone, so the
 * generated history does not change.
 */
export function addRelease(set: ReleaseSet, ids: IdCodec, gi: number, r: NewRelease, timeSec: number): ReleaseSeed {
  const index = set.releases.length;
  let group = set.groups.find((g) => g.stage === r.stage && g.appVersion === r.appVersion);
  if (!group) {
    group = {
      index: set.groups.length,
      id: ids.encode('releaseGroup', gi, set.groups.length),
      stage: r.stage,
      appVersion: r.appVersion,
      releases: [],
      top: true,
      visible: true,
    };
    set.groups.push(group);
    const sameStage = set.groups.filter((g) => g.stage === r.stage);
    for (const [n, g] of sameStage.reverse().entries()) g.top = n < 3;
  }
  group.releases.push(index);
  const build = group.releases.length;
  const seed: ReleaseSeed = {
    index,
    id: ids.encode('release', gi, index),
    stage: r.stage,
    appVersion: r.appVersion,
    versionCode: r.versionCode ?? '',
    buildLabel: build > 1 ? `${r.appVersion}+build.${build}` : r.appVersion,
    timeSec,
    source: r.source,
    builderName: r.builderName ?? '',
    buildTool: '',
    group: group.index,
    errorsIntroduced: 0,
    errorsSeen: 0,
    sessions24h: 0,
    totalSessions: 0,
    unhandledSessions: 0,
    usersSeen: 0,
    usersWithUnhandled: 0,
    revision: null,
  };
  set.releases.push(seed);
  return seed;
}
