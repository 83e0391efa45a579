import type { Command } from 'commander';
import { EXIT_CODES } from '../../core/errors.js';
import type { CommandGroup } from '../context.js';
import { numberOption } from '../options.js';
import { notice } from '../output.js';
import { withRuntime } from '../runtime.js';

/**
 * `snagsync worker`: takes units of sync work from the PostgreSQL job queue and executes them, until SIGINT/SIGTERM
 * (units in flight stop after their page and are enqueued again, to go on from their checkpoint) or until the
 * database cannot be reached (it says so and exits; other workers take its units once their lease runs out).
 * One line per unit on stderr (JSON with --json).
 */
export const registerWorker: CommandGroup = ({ command, io, setExitCode }) => {
  command
    .option('--concurrency <n>', 'units executed at once by this worker', '2')
    .option('--json', 'log one JSON line per unit on stderr')
    .action(async function (this: Command) {
      const flags = this.opts<{ concurrency: string; json?: boolean }>();
      const concurrency = numberOption('concurrency', flags.concurrency, { min: 1, max: 64 });
      const { openRunQueue, startWorker } = await import('../../engine/cluster/index.js');
      await withRuntime(io, async (rt) => {
        // A worker given another master key than the cluster's would fail every unit it took: it says so and stops now.
        const [credential] = await rt.store.credentials.list();
        if (credential) await rt.vault.unseal(credential);
        const queue = await openRunQueue(rt.env);
        const num = (name: string) => {
          const n = Number(rt.env[name]);
          return Number.isFinite(n) && n > 0 ? n : undefined;
        };
        const sliceMs = num('SNAGSYNC_QUEUE_SLICE_MS');
        const delayOverMs = num('SNAGSYNC_QUEUE_DELAY_OVER_MS');
        const log = (line: Record<string, unknown>, text: string) =>
          io.stderr.write(
            flags.json
              ? `${JSON.stringify({ at: new Date().toISOString(), pid: process.pid, ...line })}\n`
              : `${text}\n`,
          );
        log(
          { type: 'worker-start', concurrency, lease_ms: queue.leaseMs },
          `snagsync worker ${process.pid}: ${concurrency} slot(s), lease ${Math.round(queue.leaseMs / 1000)} s; Ctrl-C stops after the units in flight yield.`,
        );
        const worker = startWorker(rt, queue, {
          concurrency,
          unit: {
            ...(sliceMs !== undefined ? { sliceMs } : {}),
            ...(delayOverMs !== undefined ? { delayOverMs } : {}),
          },
          onEvent: (e) => {
            if (e.type === 'unit-start')
              log(e, `start  ${e.run} ${e.unit}${e.retries ? ` (again, ${e.retries})` : ''}`);
            else if (e.type === 'unit-end')
              log(
                e,
                `${e.outcome.padEnd(6)} ${e.run} ${e.unit}${e.until ? ` until ${e.until}` : ''}${e.error ? `: ${e.error}` : ''}`,
              );
            else if (e.type === 'results-purged') log(e, `forgot the unit results of ${e.runs} finished run(s)`);
            else log(e, `queue error: ${e.error}`);
          },
        });
        const stop = () => void worker.stop();
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        const end = await worker.done;
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await queue.close();
        if (end.reason === 'connection-lost' && end.error) {
          notice(io, `snagsync worker: ${end.error.message}${end.error.hint ? `\n${end.error.hint}` : ''}`);
          setExitCode(EXIT_CODES.network);
        } else log({ type: 'worker-stop' }, 'snagsync worker: stopped');
      });
    });
};
