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
        const stopSignals = onInterrupt(io, controller);
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
            notice(
              io,
              `Run ${queued.runId} queued: the workers execute it (\`snagsync worker\` starts one; --local runs it here).`,
            );
            handle = await cluster.followRun(rt, queued.runId, { queue });
            controller.signal.addEventListener('abort', () => handle.cancel(), { once: true });
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
        await close();
        if (flags.json) printJson(io, summary);
        else printLine(io, formatSummary(summary));
        if (summary.error && !flags.json)
          notice(io, `snagsync: ${summary.error.message}${summary.error.hint ? `\n${summary.error.hint}` : ''}`);
        setExitCode(exitCodeOf(summary));
      });
    });
};

export function onInterrupt(io: Io, controller: AbortController): () => void {
  let count = 0;
  const handler = () => {
    count++;
    if (count === 1) {
      notice(io, '\nStopping after the current page… (Ctrl-C again to quit at once)');
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
