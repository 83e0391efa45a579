import { toSnagError } from '../core/errors.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { startRun, type RunHandle } from './run.js';
import { toWire, type FromChild, type ToChild } from './run-process-messages.js';

/**
 * The child process of the process executor (process-executor.ts): one run, then it exits. It opens the runtime
 * (home, store, vault) from what the server sends over IPC, starts the run with `startRun` exactly as the server
 * would in-process — the run's rows, checkpoints and records are written here — and forwards every progress event,
 * then the summary. A cancel message cancels the run; so does losing the server (the IPC channel closing), so a
 * run never outlives the server that shows it.
 */

let runtime: Runtime | undefined;
let handle: RunHandle | undefined;
let cancelReason: string | undefined;

function send(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send!(message, undefined, {}, () => resolve());
  });
}

async function finish(code: number): Promise<never> {
  await runtime?.close().catch(() => undefined);
  process.exit(code);
}

async function start(m: Extract<ToChild, { type: 'start' }>): Promise<void> {
  try {
    runtime = openRuntime({ home: m.home, env: m.env });
    handle = await startRun(runtime, m.source, {
      trigger: m.options.trigger,
      ...(m.options.fullRefresh ? { fullRefresh: true } : {}),
      ...(m.options.streams?.length ? { streams: m.options.streams } : {}),
    });
  } catch (err) {
    await send({ type: 'refused', error: toWire(toSnagError(err)) });
    return finish(0);
  }
  const h = handle;
  void send({ type: 'started', runId: h.runId, sourceId: h.sourceId, sourceName: h.sourceName, pid: process.pid });
  // startRun emitted run-start before it returned: the history first, then live events, in the same tick.
  for (const event of h.events.history()) void send({ type: 'event', event });
  h.events.subscribe((event) => void send({ type: 'event', event }));
  if (cancelReason !== undefined) h.cancel(cancelReason);
  const summary = await h.done;
  await send({ type: 'done', summary });
  return finish(0);
}

if (!process.send) {
  process.stderr.write('This file is started by snagsync serve for each sync; it is not a command.\n');
  process.exit(2);
}

process.on('message', (m: ToChild) => {
  if (m.type === 'start' && !runtime) void start(m);
  else if (m.type === 'cancel') {
    cancelReason ??= m.reason;
    handle?.cancel(m.reason);
  }
});

// Ctrl-C in a terminal reaches the whole process group: the server cancels its runs itself (over IPC), so that the
// runs end `cancelled` and are recorded, rather than dying with the signal and being recorded failed.
process.on('SIGINT', () => undefined);
// A SIGTERM sent to this process alone (a supervisor, a person): stop the run cleanly, as a cancel would.
process.on('SIGTERM', () => {
  const reason = 'The process running the sync was asked to stop (SIGTERM).';
  cancelReason ??= reason;
  if (handle) handle.cancel(reason);
  else void finish(0);
});

process.on('disconnect', () => {
  const reason = 'The server that started this sync stopped.';
  cancelReason ??= reason;
  if (handle) handle.cancel(reason);
  else void finish(0);
});
