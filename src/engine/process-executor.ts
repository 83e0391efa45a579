import { fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setPriority } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SnagError } from '../core/errors.js';
import type { Runtime } from '../runtime.js';
import { alreadySyncing } from '../store/errors.js';
import { isStaleRun } from '../store/index.js';
import type { RunStream } from '../store/models.js';
import { RunEvents, type RunEvent, type RunSummary } from './events.js';
import { storedStreamSummaries } from './history.js';
import type { ExecutorStartOptions, RunExecutor } from './executor.js';
import { errorJson } from './failures.js';
import type { RunHandle } from './run.js';
import { fromWire, plainEnv, type FromChild, type ToChild } from './run-process-messages.js';
import { nextRunAfter } from './schedule.js';
import { notifyRunEnded } from './notify/run.js';

/**
 * Runs each sync in a child process (run-process.ts), so the server's event loop only answers requests.
 *
 * Why a child process rather than a worker thread: better-sqlite3 and the vault both work in a worker thread, but a
 * thread shares the process — a native crash or an out-of-memory in the SQLite driver or a parser would take the
 * server down with it, its heap is the server's RSS, and it cannot be given a lower CPU priority than the server. A
 * child process fails alone (the run is recorded failed, the server goes on), returns its memory when the run ends,
 * can be killed without asking, runs at a lower priority, and is how a queue worker will run too. A thread would
 * not start much faster: loading the run's code took 0.58 s in a child process against 0.53 s in a worker thread
 * (bench/serve-latency.ts measures both), paid once per run. docs/architecture.md says the same.
 *
 * The handle is the engine's RunHandle: progress events arrive over IPC as the same objects (sequence numbers
 * included) and are relayed into a RunEvents here; `cancel()` asks the child to stop (its run ends `cancelled`,
 * recorded by the child) and kills it if it has not ended after `stopGraceMs`. A child that dies before it records
 * the end (kill -9, out of memory, a crash) has its run recorded `failed` here with a message saying so; what it
 * committed stays, since checkpoints are committed with every page, and the next run resumes from there.
 */
export interface ProcessExecutorOptions {
  /** How long a cancelled run's process may take to stop on its own before it is killed (default 30 s). */
  stopGraceMs?: number;
  /** How long a process may take to exit after it sent its summary (default 10 s). */
  exitGraceMs?: number;
  /**
   * The child's scheduling priority: a nice value (0–19), or `idle` (the default): nice 19 and, on Linux, the idle
   * scheduling class (SCHED_IDLE, set with `chrt`; nice 19 alone where it is missing). A sync is background work: it
   * gets every idle cycle, but when the cores are busy the server's answers go first. Without it, three syncs on two
   * cores took the CPU from the server and slowed its answers more than running them in-process (p99 × 17 against
   * × 2); at nice 10, × 1.6; at 19, 0.78–1.89 × (the worst on a quiet machine: a nice-19 process still takes its
   * turn on a busy core); in the idle class, which a woken server preempts at once, 1.31–1.45 × (bench/serve-latency.ts,
   * docs/performance.md).
   */
  nice?: number | 'idle';
}

const DEFAULT_NICE = 'idle';

export function processExecutor(options: ProcessExecutorOptions = {}): RunExecutor {
  const children = new Set<Promise<unknown>>();
  return {
    kind: 'process',
    start: (runtime, sourceRef, o) => startInChild(runtime, sourceRef, o, options, children),
    close: async () => {
      while (children.size) await Promise.all([...children]);
    },
  };
}

/** Background priority for a run's process: a nice value, or `idle` (nice 19, then SCHED_IDLE where Linux has it). */
async function lowerPriority(pid: number, nice: number | 'idle'): Promise<void> {
  try {
    setPriority(pid, nice === 'idle' ? 19 : nice);
  } catch {
    // Not permitted here (some containers): the run goes on at the server's priority.
  }
  if (nice !== 'idle' || process.platform !== 'linux') return;
  // Lowering one's own process to SCHED_IDLE needs no privilege. Node has no call for it; util-linux's chrt does
  // (a few milliseconds). Without chrt, or refused, nice 19 it is.
  await new Promise<void>((resolve) => {
    const chrt = spawn('chrt', ['--idle', '--pid', '0', String(pid)], { stdio: 'ignore' });
    chrt.once('error', () => resolve());
    chrt.once('exit', () => resolve());
  });
}

/** The pid of the process a handle's run executes in (the child's, for the process executor). */
export function runPid(handle: RunHandle): number {
  return (handle as Partial<ChildRunHandle>).pid ?? process.pid;
}

interface ChildRunHandle extends RunHandle {
  pid: number;
}

interface Entry {
  file: string;
  execArgv: string[];
}

/** dist/engine/run-process.js once built; from the sources (tests, `npm run dev`), the TypeScript file through tsx. */
function childEntry(): Entry {
  const js = fileURLToPath(new URL('./run-process.js', import.meta.url));
  if (existsSync(js)) return { file: js, execArgv: [] };
  const tsx = createRequire(import.meta.url).resolve('tsx');
  return {
    file: fileURLToPath(new URL('./run-process.ts', import.meta.url)),
    execArgv: ['--import', pathToFileURL(tsx).href],
  };
}

/** The child's own environment: the server's, less what travels over IPC with the runtime (master key, database). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k === 'SNAGSYNC_MASTER_KEY' || k === 'SNAGSYNC_DATABASE_URL') delete env[k];
  return env;
}

async function startInChild(
  runtime: Runtime,
  sourceRef: string,
  o: ExecutorStartOptions,
  options: ProcessExecutorOptions,
  children: Set<Promise<unknown>>,
): Promise<RunHandle> {
  const sourceId = await refuseEarly(runtime, sourceRef);
  const entry = childEntry();
  const child = fork(entry.file, [], {
    execArgv: entry.execArgv,
    env: childEnv(),
    // stdout is the server's data channel: the child has nothing to say there. Its logs (stderr) join the server's.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  children.add(exited);
  void exited.then(() => children.delete(exited));
  child.on('error', () => undefined); // a failed send to a dead child: the exit handler tells the story
  const send = (m: ToChild) => {
    if (child.connected) child.send(m, (err) => void err);
  };

  let killTimer: NodeJS.Timeout | undefined;
  const killAfter = (ms: number) => {
    if (killTimer) return;
    killTimer = setTimeout(() => child.kill('SIGKILL'), ms);
    killTimer.unref();
  };
  const finished = (s: RunSummary) => {
    if (summary) return;
    summary = s;
    settle?.(s);
    killAfter(options.exitGraceMs ?? 10_000);
  };
  // One listener from the first message on: Node may emit several messages of one read synchronously, so events
  // that follow `started` can arrive before the code after the first await runs; they wait in `early`.
  let events: RunEvents | undefined;
  const early: RunEvent[] = [];
  let summary: RunSummary | undefined;
  let settle: ((summary: RunSummary) => void) | undefined;
  let answer!: (m: FromChild | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null }) => void;
  const first = new Promise<Parameters<typeof answer>[0]>((resolve) => (answer = resolve));
  child.on('message', (m: FromChild) => {
    if (m.type === 'started' || m.type === 'refused') answer(m);
    else if (m.type === 'event') {
      if (events) events.relay(m.event);
      else early.push(m.event);
      // run-done carries the summary, sent once the run is recorded: the run has ended for everyone who follows it
      // here, whenever the child (at a low priority) gets round to its `done` message and its exit.
      if (m.event.type === 'run-done') finished(m.event.summary);
    } else if (m.type === 'done') finished(m.summary);
  });
  void exited.then((e) => answer({ type: 'exit', ...e }));
  send({ type: 'start', home: runtime.home, env: plainEnv(runtime.env), source: sourceId, options: o });

  const reply = await first;
  if (reply.type === 'refused') {
    await exited;
    throw fromWire(reply.error);
  }
  if (reply.type !== 'started') {
    child.kill('SIGKILL');
    const how = reply.type === 'exit' ? ended(reply) : `it sent ${reply.type} first`;
    throw new SnagError('internal', `The process that was to run the sync ended before the run started (${how}).`, {
      hint: "The server's log has the process's last lines.",
    });
  }

  const { runId, sourceName, pid } = reply;
  // Lowered only now: starting (loading the code, creating the run) is what the person who asked waits for.
  await lowerPriority(pid, options.nice ?? DEFAULT_NICE);
  const runEvents = new RunEvents(runId);
  for (const e of early.splice(0)) runEvents.relay(e);
  events = runEvents;
  let cancelled = false;
  // `done` settles with the summary as soon as it arrives, as in-process (the run is recorded and run-done sent:
  // a page asked for now must show the run finished), or once the child has died without one. The child's exit
  // itself is awaited by the executor's close().
  const done = new Promise<RunSummary>((resolve) => {
    settle = resolve;
    if (summary) resolve(summary);
  });
  void exited.then(async (exit) => {
    clearTimeout(killTimer);
    if (summary) return;
    settle?.(
      await recordDeath(
        runtime,
        { runId, sourceId, sourceName, pid, trigger: o.trigger, cancelled, events: runEvents },
        exit,
      ),
    );
  });
  const handle: ChildRunHandle = {
    runId,
    sourceId,
    sourceName,
    pid,
    events: runEvents,
    done,
    cancel: (reason = 'Cancelled.') => {
      if (summary || child.exitCode !== null || child.signalCode !== null) return;
      cancelled = true;
      send({ type: 'cancel', reason });
      killAfter(options.stopGraceMs ?? 30_000);
    },
  };
  return handle;
}

/**
 * What startRun would refuse at once — an unknown source, a run of it already live — refused here, before a process
 * is started for nothing (and while the run that holds the source is still live: a refusal seconds later, after
 * the child's start-up, could find that run ended and start a second one nobody asked for). The child checks the
 * rest (disabled, no credential, the vault) as startRun does. Returns the source's id.
 */
async function refuseEarly(runtime: Runtime, sourceRef: string): Promise<string> {
  const source = await runtime.store.sources.findByNameOrId(sourceRef);
  const running = await runtime.store.runs.list({ sourceId: source.id, status: 'running', limit: 10 });
  const live = running.find((r) => !isStaleRun(r));
  if (live) throw alreadySyncing(source.name, live);
  return source.id;
}

function ended(exit: { code: number | null; signal: NodeJS.Signals | null }): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

interface Dead {
  runId: string;
  sourceId: string;
  sourceName: string;
  pid: number;
  trigger: string;
  cancelled: boolean;
  events: RunEvents;
}

/**
 * The child ended without sending its summary: record the run's end here (unless the child managed to before it
 * died), say what happened, and end the event stream as the child would have.
 */
async function recordDeath(
  runtime: Runtime,
  d: Dead,
  exit: { code: number | null; signal: NodeJS.Signals | null },
): Promise<RunSummary> {
  const { store } = runtime;
  const err = new SnagError(
    d.cancelled ? 'aborted' : 'internal',
    d.cancelled
      ? `The sync was cancelled; its process (pid ${d.pid}) did not stop in time and was ${ended(exit)}. Everything committed so far is kept and the next sync resumes from there.`
      : `The process running this sync (pid ${d.pid}) ended before the run finished (${ended(exit)}). Everything it committed is kept, up to its last page, and the next sync resumes from there.`,
    d.cancelled
      ? {}
      : { hint: "If it happens again, the server's log has the process's last lines (out of memory, a crash)." },
  );
  const status = d.cancelled ? 'cancelled' : 'failed';
  const finishedAt = new Date();
  let run = await store.runs.get(d.runId).catch(() => null);
  let error = errorJson(err);
  try {
    if (run?.status === 'running') {
      run = await store.runs.finish(d.runId, { status, error: { ...error } });
      // In the background: this process (the server) lives on, and the summary need not wait for Slack or Teams.
      void notifyRunEnded(runtime, d.runId);
      const source = await store.sources.get(d.sourceId);
      if (source?.schedule)
        await store.sources.update(d.sourceId, { next_run_at: nextRunAfter(source.schedule, finishedAt) });
    } else if (run?.error) {
      error = { exit_code: 1, ...run.error } as typeof error;
    }
  } catch (e) {
    error = errorJson(e);
  }
  const streams = await store.runs.listStreams(d.runId).catch(() => [] as RunStream[]);
  const startedAt = run?.started_at ?? finishedAt.toISOString();
  const totals = run?.totals;
  const summary: RunSummary = {
    run_id: d.runId,
    source_id: d.sourceId,
    source_name: d.sourceName,
    status: run && run.status !== 'running' ? run.status : status,
    trigger: d.trigger,
    full_refresh: run?.options.full_refresh === true,
    destination: d.events.history().find((e) => e.type === 'run-start')?.destination ?? '',
    started_at: startedAt,
    finished_at: run?.finished_at ?? finishedAt.toISOString(),
    duration_ms: Math.max(0, finishedAt.getTime() - Date.parse(startedAt)),
    error,
    totals: {
      records_read: totals?.records_read ?? 0,
      records_written: totals?.records_written ?? 0,
      pages: streams.reduce((n, s) => n + s.pages, 0),
      requests: totals?.requests ?? 0,
      retries: streams.reduce((n, s) => n + s.retries, 0),
      rate_limited: 0,
      rate_limit_waits: 0,
      rate_limit_wait_ms: totals?.rate_limit_wait_ms ?? 0,
    },
    streams: storedStreamSummaries(streams, { unfinishedFailed: true }),
    warnings: [],
  };
  d.events.emit({ type: 'run-done', status: summary.status as RunSummary['status'], error, summary });
  return summary;
}
