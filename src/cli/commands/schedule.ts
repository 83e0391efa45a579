import type { Command } from 'commander';
import { parseDuration } from '../../core/time.js';
import type { DueResult } from '../../engine/index.js';
import type { CommandGroup } from '../context.js';
import { notice, printJson, printLine } from '../output.js';
import { withRuntime } from '../runtime.js';
import { invalidOption } from '../options.js';
import { clusterExecutor } from '../cluster.js';

const LOCAL =
  'with a PostgreSQL store, run the syncs in this process instead of enqueueing them for the workers (snagsync worker)';

/**
 * `snagsync schedule run-due` runs every scheduled source that is due, once (for cron or a systemd timer);
 * `snagsync schedule daemon` keeps doing so until stopped (Ctrl-C or SIGTERM finish the sync in progress cleanly).
 */
export const registerSchedule: CommandGroup = ({ command: group, io, setExitCode }) => {
  group
    .command('run-due')
    .description('run every active source whose schedule is due, one after the other, then exit')
    .option('--json', 'print the results as JSON')
    .option('--local', LOCAL)
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean; local?: boolean }>();
      // Imported when the command runs: its help needs none of them.
      const [{ runDue }, { attachProgress }] = await Promise.all([
        import('../../engine/index.js'),
        import('../progress.js'),
      ]);
      await withRuntime(io, async (rt) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const cluster = await clusterExecutor(rt, flags.local);
        try {
          const results = await runDue(rt, {
            ...(cluster ? { executor: cluster.executor } : {}),
            signal: controller.signal,
            onStart: (h) => attachProgress(io, h.events, 'none'),
          });
          report(results, flags.json === true);
          const continuous = await (await import('../../engine/poller/index.js')).continuousNotice(rt);
          if (continuous) notice(io, continuous);
          if (results.some((r) => r.status !== 'succeeded'))
            setExitCode(results.find((r) => r.error)?.error?.exit_code ?? 1);
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          await cluster?.close();
        }
      });
    });

  group
    .command('daemon')
    .description('keep running scheduled sources as they fall due, until stopped')
    .option('--tick <duration>', 'longest sleep between checks', '30s')
    .option('--local', LOCAL)
    .option('--json', 'print one JSON line per event on stdout: {"event":"start"|"result"|"error"|"stopped",…}')
    .action(async function (this: Command) {
      const flags = this.opts<{ tick: string; local?: boolean; json?: boolean }>();
      const line = (event: string, fields: Record<string, unknown> = {}) =>
        io.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...fields })}\n`);
      const tickMs = parseDuration(flags.tick);
      if (tickMs === null || tickMs < 1000)
        invalidOption('tick', flags.tick, 'must be a duration of at least 1s', 'For example 30s or 1m.');
      const { startScheduler } = await import('../../engine/index.js');
      await withRuntime(io, async (rt) => {
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        const cluster = await clusterExecutor(rt, flags.local);
        notice(io, `snagsync scheduler: running due sources${cluster ? ' on the workers' : ''}; Ctrl-C to stop.`);
        const handle = startScheduler(rt, {
          ...(cluster ? { executor: cluster.executor } : {}),
          tickMs,
          signal: controller.signal,
          onStart: (h) =>
            flags.json
              ? line('start', { source_name: h.sourceName, run_id: h.runId })
              : notice(io, `${new Date().toISOString()} sync ${h.sourceName} (run ${h.runId})`),
          onResults: (results) =>
            flags.json ? results.forEach((r) => line('result', { ...r })) : report(results, false),
          onError: (err) => {
            const message = err instanceof Error ? err.message : String(err);
            if (flags.json) line('error', { message });
            else notice(io, `scheduler: ${message}`);
          },
        });
        await handle.done;
        await cluster?.close();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        if (flags.json) line('stopped');
        else notice(io, 'snagsync scheduler: stopped');
      });
    });

  function report(results: DueResult[], json: boolean): void {
    if (json) printJson(io, results);
    else if (results.length === 0) notice(io, 'No source is due.');
    else
      printLine(
        io,
        results
          .map(
            (r) =>
              `${r.source_name}: ${r.status}${r.run_id ? ` (run ${r.run_id})` : ''}${r.error ? ` — ${r.error.message}` : ''}`,
          )
          .join('\n'),
      );
  }
};
