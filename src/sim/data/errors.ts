import { hash, hashString, pickBy, Rng } from '../prng.js';
import type { IdCodec } from '../ids.js';
import type { ProjectSeed } from './world.js';
import { BROWSERS, DIRS, ERROR_SHAPES, FIELDS, HOSTS, MANUFACTURERS, METHODS, MODELS, OS, URL_PATHS } from './vocab.js';

export const STATUSES = ['open', 'in progress', 'for_review', 'fixed', 'snoozed', 'ignored'] as const;
export type ErrorStatus = (typeof STATUSES)[number];
export type Severity = 'error' | 'warning' | 'info';

/** The fixed part of an error group, generated from (seed, project, index). */
export interface ErrorSeed {
  index: number;
  id: string;
  errorClass: string;
  message: string;
  context: string;
  severity: Severity;
  unhandled: boolean;
  file: string;
  method: string;
  line: number;
  /** Release stages its events come from (1 or 2 of the project's). */
  stages: string[];
  /**
   * Event attributes that vary (user, release stage, version, device, request…) repeat with this period over the
   * error's occurrences: occurrence k looks like prototype k mod period. That keeps every count the API reports
   * (events and users matching a filter, in a time range) computable arithmetically instead of by scanning.
   */
  period: number;
  hasUsers: boolean;
  initialStatus: ErrorStatus;
  commentCount: number;
  groupingReason: string;
  /** Member user index it starts assigned to, or -1. */
  assignee: number;
  linkedIssue: boolean;
  /** Run-time errors (added through the control API) start at this second; generated ones at 0. */
  createdSec: number;
}

/** What one occurrence looks like; occurrence k of an error uses prototype k mod period. */
export interface EventProto {
  stage: string;
  /** Index into the organization's end-user pool, or -1 for events without a user. */
  user: number;
  appVersion: string;
  osName: string;
  osVersion: string;
  browserName: string | null;
  browserVersion: string | null;
  manufacturer: string | null;
  model: string | null;
  hostname: string | null;
  url: string | null;
  ip: string;
  inForeground: boolean;
  jailbroken: boolean;
}

export const END_USERS_PER_ORG = 150;

export function makeErrorSeed(
  seed: number,
  ids: IdCodec,
  project: ProjectSeed,
  index: number,
  assignable: number[],
  createdSec = 0,
): ErrorSeed {
  const rng = Rng.of(seed, hashString('error'), project.gi, index);
  const shapes = ERROR_SHAPES[project.kind.language] ?? ERROR_SHAPES.javascript!;
  const shape = rng.pick(shapes);
  const model = rng.pick(MODELS);
  const field = rng.pick(FIELDS);
  const message = shape.msg
    .replace(/\{Model\}/g, model)
    .replace(/\{field\}/g, field)
    .replace(/\{n\}/g, () => String(rng.between(1, 9999)))
    .replace(/\{hex\}/g, () => rng.hex(8))
    .replace(/\{status\}/g, () => String(rng.pick([500, 502, 503, 404, 401])));
  const method = `${model}${['Controller', 'Service', 'Worker', 'View'][rng.int(4)]}#${rng.pick(METHODS)}`;
  const dir = rng.pick(DIRS);
  const file = `${dir}/${model.toLowerCase()}_${rng.pick(METHODS)}.${extension(project.kind.language)}`;
  const stages =
    project.releaseStages.length > 1 && rng.chance(1, 3)
      ? [project.releaseStages[0]!, project.releaseStages[1]!]
      : [project.releaseStages[rng.chance(5, 6) ? 0 : rng.int(project.releaseStages.length)]!];
  const statusRoll = rng.int(20);
  const initialStatus: ErrorStatus =
    statusRoll < 11
      ? 'open'
      : statusRoll < 13
        ? 'fixed'
        : statusRoll < 15
          ? 'ignored'
          : statusRoll < 17
            ? 'snoozed'
            : statusRoll < 19
              ? 'for_review'
              : 'in progress';
  const context =
    project.kind.platform === 'browser'
      ? rng.pick(URL_PATHS).split('?')[0]!
      : `${model}Controller#${rng.pick(METHODS)}`;
  return {
    index,
    id: ids.encode('error', project.gi, index),
    errorClass: shape.cls,
    message,
    context,
    severity: rng.chance(3, 4) ? 'error' : rng.chance(2, 3) ? 'warning' : 'info',
    unhandled: rng.chance(1, 2),
    file,
    method,
    line: rng.between(3, 480),
    stages,
    period: rng.between(1, 48),
    hasUsers: project.kind.platform !== 'server' || rng.chance(1, 2),
    initialStatus,
    commentCount: rng.chance(1, 3) ? rng.between(1, 4) : 0,
    groupingReason: rng.pick(['frame-inner', 'frame-code', 'context-inner', 'error_class-inner']),
    assignee: assignable.length > 0 && rng.chance(1, 4) ? rng.pick(assignable) : -1,
    linkedIssue: rng.chance(1, 8),
    createdSec,
  };
}

/** The r-th prototype of an error (0 ≤ r < period). */
export function eventProto(
  seed: number,
  project: ProjectSeed,
  err: ErrorSeed,
  r: number,
  versionsByStage: Map<string, string[]>,
): EventProto {
  const h = hash(seed, hashString('proto'), project.gi, err.index, r);
  const rng = new Rng(h);
  const stage = err.stages[r % err.stages.length]!;
  const versions = versionsByStage.get(stage) ?? ['1.0.0'];
  const appVersion = versions[Math.max(0, versions.length - 1 - rng.int(Math.min(3, versions.length)))]!;
  const platform = project.kind.platform;
  const os: readonly [string, string] = pickBy<readonly [string, string]>(OS[platform], rng.next());
  const browser = platform === 'browser' ? pickBy(BROWSERS, rng.next()) : null;
  const device = platform === 'mobile' ? pickBy(MANUFACTURERS, rng.next()) : null;
  const user = err.hasUsers ? hash(seed, project.gi, err.index, Math.floor(r / 2)) % END_USERS_PER_ORG : -1;
  return {
    stage,
    user,
    appVersion,
    osName: os[0],
    osVersion: os[1],
    browserName: browser ? browser[0] : null,
    browserVersion: browser ? browser[1] : null,
    manufacturer: device ? device[0] : null,
    model: device ? device[1] : null,
    hostname: platform === 'server' ? rng.pick(HOSTS) : null,
    url: platform === 'mobile' ? null : `https://${project.slug}.example.com${rng.pick(URL_PATHS)}`,
    ip: `203.0.113.${rng.between(1, 254)}`,
    inForeground: platform === 'mobile' ? rng.chance(4, 5) : true,
    jailbroken: platform === 'mobile' && rng.chance(1, 25),
  };
}

export interface EndUser {
  id: string;
  name: string;
  email: string;
}

/** End users (the people who hit errors) are shared by the projects of one organization. */
export function endUser(seed: number, org: number, n: number): EndUser {
  const rng = Rng.of(seed, hashString('end-user'), org, n);
  const first = ['sam', 'alex', 'kim', 'jo', 'lee', 'max', 'ria', 'noor', 'ivan', 'mei', 'tom', 'zoe'][n % 12]!;
  const last = ['smith', 'garcia', 'chen', 'okafor', 'novak', 'silva', 'khan', 'berg', 'rossi', 'sato'][
    Math.floor(n / 12) % 10
  ]!;
  return {
    id: `usr_${rng.hex(12)}`,
    name: `${first[0]!.toUpperCase()}${first.slice(1)} ${last[0]!.toUpperCase()}${last.slice(1)}`,
    email: `${first}.${last}${n}@customer.example`,
  };
}

/** The custom `account.plan` field (metaData.account.plan) of an occurrence: it follows the end user. */
export function accountPlan(user: number): string {
  return ['free', 'team', 'enterprise'][hash(user, 3) % 3]!;
}

function extension(language: string): string {
  return (
    (
      { ruby: 'rb', javascript: 'js', java: 'java', swift: 'swift', python: 'py', go: 'go', csharp: 'cs' } as Record<
        string,
        string
      >
    )[language] ?? 'txt'
  );
}
