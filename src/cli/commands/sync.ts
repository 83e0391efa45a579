import type { Command } from 'commander';
import { formatDuration } from '../../core/time.js';
import type { RunHandle, RunSummary } from '../../engine/index.js';
import type { CommandGroup } from '../context.js';
import { notice, printJson, printLine, table, type Io } from '../output.js';
import { commaList } from '../options.js';
import { withRuntime } from '../runtime.js';

/**
 * `snagsync sync SOURCE`: run a source now. Progress on stderr (bars on a terminal, JSON lines otherwise), the
 * summary on stdout (JSON with --json), the exit code from the run's error. Ctrl-C stops cleanly: the page in
 * flight is abandoned, everything committed stays, the run is recorded as cancelled (a second Ctrl-C quits at once).
 * A queued run (PostgreSQL store): no worker alive to take it is said within seconds; Ctrl-C cancels it everywhere.
 */
export const registerSync: CommandGroup = ({ command, io, setExitCode }) => {
  command
    .argument('<source>', 'source name or id')
    .option(
      '--full-refresh',
      "forget the checkpoints and read every stream's whole history again (records are upserted)",
    )
    .option(
      '--stream <stream>',
      'only this stream (repeatable or comma-separated; comments bring errors along)',
      commaList,
    )
    .option('--json', 'print the run summary as JSON')
    .option('--local', 'with a PostgreSQL store, run the sync in this process instead of enqueueing it for the workers')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ fullRefresh?: boolean; stream?: string[]; json?: boolean; local?: boolean }>();
      // Imported when the command runs: its help needs none of them.
      const [{ startRun, exitCodeOf }, { attachProgress }] = await Promise.all([
        import('../../engine/index.js'),
        import('../progress.js'),
      ]);
      await withRuntime(io, async (rt) => {
        const controller = new AbortController();
        let queuedId: string | undefined;
        const stopSignals = onInterrupt(io, controller, () =>
          queuedId ? `\nCancelling run ${queuedId}… (Ctrl-C again to quit at once)` : undefined,
        );
        let handle: RunHandle;
        let close = async () => undefined as void;
        try {
          const cluster = await import('../../engine/cluster/index.js');
          if (!flags.local && cluster.queueConfigured(rt.env)) {
            // A PostgreSQL store: the run goes on the queue, any worker executes it, this process follows it.
            const queue = await cluster.openRunQueue(rt.env);
            close = () => queue.close();
            const queued = await cluster.enqueueRun(rt, queue, ref, {
              trigger: 'cli',
              ...(flags.fullRefresh ? { fullRefresh: true } : {}),
              ...(flags.stream?.length ? { streams: flags.stream } : {}),
            });
            queuedId = queued.runId;
            notice(
              io,
              `Run ${queued.runId} queued: the workers execute it (\`snagsync worker\` starts one; --local runs it here).`,
            );
            handle = await cluster.followRun(rt, queued.runId, {
              queue,
              cancelWaitMs: CANCEL_WAIT_MS,
              onWorkers: ({ alive }) => workersNotice(io, flags.json === true, queued, alive),
            });
            // Ctrl-C cancels the run everywhere: units no worker has taken are taken back at once (so a run nobody
            // executes ends now), units in flight stop after their page; the follower waits for them a few seconds.
            const cancel = () => handle.cancel();
            if (controller.signal.aborted) cancel();
            else controller.signal.addEventListener('abort', cancel, { once: true });
          } else {
            handle = await startRun(rt, ref, {
              trigger: 'cli',
              signal: controller.signal,
              ...(flags.fullRefresh ? { fullRefresh: true } : {}),
              ...(flags.stream?.length ? { streams: flags.stream } : {}),
            });
          }
        } catch (err) {
          stopSignals();
          await close();
          throw err;
        }
        const progress = attachProgress(io, handle.events);
        const summary = await handle.done;
        progress.stop();
        stopSignals();
        // Cancelled while a worker still ends its unit in flight: this process stopped following, the run ends there.
        const stillRunning =
          queuedId !== undefined && (await rt.store.runs.get(queuedId).catch(() => null))?.status === 'running';
        await close();
        if (flags.json) printJson(io, summary);
        else printLine(io, formatSummary(summary));
        if (stillRunning)
          notice(
            io,
            `snagsync: run ${queuedId} was asked to stop; the unit a worker is executing ends after its page, then the run ends cancelled (\`snagsync runs show ${queuedId}\`).`,
          );
        else if (summary.error && !flags.json)
          notice(io, `snagsync: ${summary.error.message}${summary.error.hint ? `\n${summary.error.hint}` : ''}`);
        setExitCode(exitCodeOf(summary));
      });
    });
};

/** After Ctrl-C, how long `sync` waits for a queued run's unit in flight on a worker to stop (its page, then ends). */
const CANCEL_WAIT_MS = 10_000;

/**
 * Says, on stderr, that no worker is alive to take a queued run (it keeps waiting: one may start later), and that one
 * is once it is; a JSON line with --json.
 */
function workersNotice(io: Io, json: boolean, run: { runId: string; sourceName: string }, alive: number): void {
  const at = new Date().toISOString();
  if (alive > 0) {
    if (json) io.stderr.write(`${JSON.stringify({ type: 'worker-alive', runId: run.runId, at, workers: alive })}\n`);
    else notice(io, `A worker is alive: run ${run.runId} goes on.`);
    return;
  }
  const message = `No worker is alive to execute run ${run.runId}: it waits on the queue until one starts (Ctrl-C cancels it).`;
  const hint = `Start one with \`snagsync worker\` (the same SNAGSYNC_DATABASE_URL and master key), or cancel and run \`snagsync sync ${run.sourceName} --local\` to sync in this process.`;
  if (json) io.stderr.write(`${JSON.stringify({ type: 'no-worker', runId: run.runId, at, message, hint })}\n`);
  else notice(io, `${message}\n${hint}`);
}

/** `message`: what the first Ctrl-C says, when not the default (undefined for the default). */
export function onInterrupt(io: Io, controller: AbortController, message?: () => string | undefined): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      notice(io, message?.() ?? '\nStopping after the current page… (Ctrl-C again to quit at once)');
      controller.abort();
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export function formatSummary(s: RunSummary): string {
  const rows = s.streams.map((x) => ({
    stream: x.stream,
    partitions: String(x.partitions),
    records: String(x.records_read),
    written: String(x.records_written),
    pages: String(x.pages),
    requests: String(x.requests),
    'rate-limit wait': x.wait_ms ? formatDuration(x.wait_ms) : '-',
    notes: [x.skipped ? `${x.skipped} skipped` : '', x.failed ? `${x.failed} failed` : ''].filter(Boolean).join(', '),
  }));
  const t = s.totals;
  // The organizations and projects listed to find the partitions, when they are not streams of the source: counted
  // in the total, so shown as a row of their own for the rows to add up to it.
  const sum = (f: (x: (typeof s.streams)[number]) => number) => s.streams.reduce((n, x) => n + f(x), 0);
  const discovery = { pages: t.pages - sum((x) => x.pages), requests: t.requests - sum((x) => x.requests) };
  const waited = t.rate_limit_wait_ms - sum((x) => x.wait_ms);
  if (discovery.requests > 0)
    rows.push({
      stream: '(discovery)',
      partitions: '',
      records: '-',
      written: '-',
      pages: String(Math.max(0, discovery.pages)),
      requests: String(discovery.requests),
      'rate-limit wait': waited > 0 ? formatDuration(waited) : '-',
      notes: 'organizations and projects listed to find the partitions',
    });
  rows.push({
    stream: 'total',
    partitions: '',
    records: String(t.records_read),
    written: String(t.records_written),
    pages: String(t.pages),
    requests: String(t.requests),
    'rate-limit wait': t.rate_limit_wait_ms ? formatDuration(t.rate_limit_wait_ms) : '-',
    notes: t.rate_limited ? `${t.rate_limited} × 429` : '',
  });
  const lines = [
    `Run ${s.run_id} of "${s.source_name}": ${s.status} in ${formatDuration(s.duration_ms)}${s.full_refresh ? ' (full refresh)' : ''}`,
    table(rows, ['stream', 'partitions', 'records', 'written', 'pages', 'requests', 'rate-limit wait', 'notes']),
    `Destination: ${s.destination}`,
  ];
  if (s.warnings.length)
    lines.push(
      `Warnings:\n${s.warnings.map((w) => `  ${w.stream}${w.partition ? ` ${w.partition}` : ''}: ${w.message}`).join('\n')}`,
    );
  return lines.join('\n');
}
