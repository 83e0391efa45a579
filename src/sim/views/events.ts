import { hash, hashString, Rng } from '../prng.js';
import { isoMs, isoSecMs } from '../format.js';
import { accountPlan, endUser } from '../data/errors.js';
import type { ProjectData } from '../data/project.js';
import { BREADCRUMB_KINDS, DIRS, METHODS, THREAD_NAMES } from '../data/vocab.js';

/**
 * Events as the list endpoints render them by default (summary rows) and with `full_reports=true` / the single-event
 * endpoints (full reports). Payload keys keep the notifier's casing (`metaData`, `releaseStage`, `osVersion`); Ruby
 * projects report exception classes as `error_class`, the others as `errorClass` (both occur, docs/bugsnag-api.md §16).
 */
export function eventSummary(pd: ProjectData, origin: string, i: number): Record<string, unknown> {
  const e = pd.errorOfEvent(i);
  const k = pd.occurrenceOfEvent(i);
  const seed = pd.errorSeed(e);
  const proto = pd.proto(e, k);
  const id = pd.eventId(i);
  return {
    id,
    url: `${origin}/events/${id}`,
    project_url: `${origin}/projects/${pd.project.id}`,
    is_full_report: false,
    error_id: seed.id,
    received_at: isoSecMs(pd.timeOf(i)),
    exceptions: [{ errorClass: seed.errorClass, message: seed.message }],
    severity: seed.severity,
    context: seed.context,
    unhandled: seed.unhandled,
    app: { releaseStage: proto.stage },
  };
}

export function eventFull(pd: ProjectData, origin: string, i: number): Record<string, unknown> {
  const e = pd.errorOfEvent(i);
  const k = pd.occurrenceOfEvent(i);
  const seed = pd.errorSeed(e);
  const proto = pd.proto(e, k);
  const project = pd.project;
  const platform = project.kind.platform;
  const id = pd.eventId(i);
  const given = pd.addedPayload.get(i);
  const sec = pd.timeOf(i);
  const rng = Rng.of(pd.seed, hashString('event-detail'), e, k);
  const usr = proto.user >= 0 ? endUser(pd.world.opts.seed, project.org, proto.user) : null;
  const ruby = project.kind.language === 'ruby';
  const frames = stackFrames(pd, e);
  const exception: Record<string, unknown> = {
    ...(ruby ? { error_class: seed.errorClass } : { errorClass: seed.errorClass }),
    message: seed.message,
    type: exceptionType(project.kind.language),
    stacktrace: frames,
  };
  const deviceTimeMs = sec * 1000 - rng.int(2000);
  const crumbs = rng.int(8);
  const breadcrumbs = [];
  for (let b = 0; b < crumbs; b++) {
    const type = BREADCRUMB_KINDS[rng.int(BREADCRUMB_KINDS.length)]!;
    breadcrumbs.push({
      name:
        type === 'navigation'
          ? 'Navigated'
          : type === 'request'
            ? 'HTTP request'
            : type === 'log'
              ? 'Console output'
              : `${type} event`,
      type,
      timestamp: isoMs(deviceTimeMs - (b + 1) * 1000 * (1 + rng.int(30))),
      metaData:
        type === 'request' ? { method: 'GET', url: proto.url ?? '/api', status: 200 } : { step: String(crumbs - b) },
    });
  }
  const threads =
    platform === 'mobile' || project.kind.language === 'java'
      ? THREAD_NAMES.slice(0, 1 + rng.int(3)).map((name, t) => ({
          id: t + 1,
          name,
          type: project.kind.type === 'ios' ? 'cocoa' : 'android',
          error_reporting_thread: t === 0,
          state: t === 0 ? 'RUNNABLE' : 'WAITING',
          stacktrace: frames.slice(0, 3).map((f) => ({
            lineNumber: f.line_number,
            file: f.file,
            method: f.method,
            inProject: f.in_project,
          })),
        }))
      : [];
  const app: Record<string, unknown> = {
    id: `com.example.${project.slug.replace(/-/g, '')}`,
    version: proto.appVersion,
    releaseStage: proto.stage,
    type: project.kind.type,
    duration: rng.between(1_000, 3_600_000),
    inForeground: proto.inForeground,
  };
  if (platform === 'mobile') {
    app.versionCode = 100 + (hash(proto.appVersion.length, k) % 50);
    app.isLaunching = rng.chance(1, 10);
  }
  const device: Record<string, unknown> = {
    osName: proto.osName,
    osVersion: proto.osVersion,
    time: isoMs(deviceTimeMs),
    locale: 'en_US',
  };
  if (proto.hostname) device.hostname = proto.hostname;
  if (proto.browserName)
    Object.assign(device, { browserName: proto.browserName, browserVersion: proto.browserVersion });
  if (proto.manufacturer) {
    Object.assign(device, {
      manufacturer: proto.manufacturer,
      model: proto.model,
      jailbroken: proto.jailbroken,
      freeMemory: rng.between(50, 900) * 1_048_576,
      totalMemory: 4096 * 1_048_576,
      orientation: rng.chance(1, 4) ? 'landscape' : 'portrait',
      charging: rng.chance(1, 3),
      batteryLevel: rng.int(100) / 100,
    });
  }
  const request =
    proto.url === null
      ? {}
      : {
          url: proto.url,
          clientIp: proto.ip,
          httpMethod: rng.chance(3, 4) ? 'GET' : 'POST',
          referer: `https://${project.slug}.example.com/`,
          headers: {
            'User-Agent': proto.browserName ? `Mozilla/5.0 ${proto.browserName}/${proto.browserVersion}` : 'curl/8.5.0',
            Accept: 'application/json',
          },
          params: {},
        };
  return {
    id,
    url: `${origin}/events/${id}`,
    project_url: `${origin}/projects/${project.id}`,
    is_full_report: true,
    error_id: seed.id,
    received_at: isoSecMs(sec),
    exceptions: [exception],
    threads,
    metaData: given?.metaData ?? {
      app: { type: project.kind.type },
      account: { id: `acct_${hash(proto.user, e) % 100_000}`, plan: accountPlan(proto.user) },
      ...(platform === 'server' ? { sidekiq: { queue: 'default', retry: rng.chance(1, 2) } } : {}),
    },
    customDiagnostics: {},
    request,
    app,
    device,
    user: usr ?? {},
    breadcrumbs: given?.breadcrumbs ?? breadcrumbs,
    context: seed.context,
    severity: seed.severity,
    unhandled: seed.unhandled,
    missing_dsym: false,
    feature_flags: rng.chance(1, 3)
      ? [{ feature_flag_name: 'new-checkout', variant_name: rng.chance(1, 2) ? 'on' : 'control' }]
      : [],
    ...(rng.chance(1, 4) ? { correlation: { traceId: rng.hex(32), spanId: rng.hex(16) } } : {}),
    derived: { deploy: null },
  };
}

interface Frame {
  column_number: null;
  in_project: boolean;
  line_number: number;
  method: string;
  file: string;
  code?: Record<string, string>;
  macho_uuid: null;
  source_control_link: null;
  source_control_name: null;
}

/**
 * Frames depend on the error only, so a run of events (an export renders hundreds of thousands) reuses them: a small
 * per-project memo, emptied when full. Rendered events are serialised at once and never changed, so sharing is safe.
 */
const framesMemo = new WeakMap<ProjectData, Map<number, Frame[]>>();
const FRAMES_MEMO_MAX = 2048;

function stackFrames(pd: ProjectData, e: number): Frame[] {
  let memo = framesMemo.get(pd);
  if (!memo) {
    memo = new Map();
    framesMemo.set(pd, memo);
  }
  let frames = memo.get(e);
  if (!frames) {
    if (memo.size >= FRAMES_MEMO_MAX) memo.clear();
    frames = buildFrames(pd, e);
    memo.set(e, frames);
  }
  return frames;
}

/** Every occurrence of an error group has the same top of stack. */
function buildFrames(pd: ProjectData, e: number): Frame[] {
  const seed = pd.errorSeed(e);
  const rng = Rng.of(pd.seed, hashString('frames'), e);
  const frames: Frame[] = [];
  const depth = rng.between(3, 12);
  for (let f = 0; f < depth; f++) {
    const top = f === 0;
    const line = top ? seed.line : rng.between(5, 600);
    frames.push({
      column_number: null,
      in_project: top || rng.chance(1, 2),
      line_number: line,
      method: top
        ? seed.method
        : `${rng.pick(['Dispatcher', 'Router', 'Middleware', 'Runner', 'Loop'])}#${rng.pick(METHODS)}`,
      file: top
        ? seed.file
        : `${rng.pick(DIRS)}/${rng.pick(['base', 'core', 'util', 'runtime'])}.${seed.file.split('.').pop()}`,
      ...(top ? { code: codeAround(line, seed.method) } : {}),
      macho_uuid: null,
      source_control_link: null,
      source_control_name: null,
    });
  }
  return frames;
}

function codeAround(line: number, method: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let l = Math.max(1, line - 3); l <= line + 3; l++) {
    out[String(l)] = l === line ? `    ${method.split('#').pop()}(payload) # raises` : `    # line ${l}`;
  }
  return out;
}

function exceptionType(language: string): string {
  return (
    (
      {
        ruby: 'ruby',
        javascript: 'browserjs',
        java: 'android',
        swift: 'cocoa',
        python: 'python',
        go: 'go',
        csharp: 'csharp',
      } as Record<string, string>
    )[language] ?? 'other'
  );
}
