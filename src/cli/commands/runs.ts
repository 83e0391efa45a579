import type { Command } from 'commander';
import { formatDuration } from '../../core/time.js';
import type { CommandGroup } from '../context.js';
import { printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';
import { numberOption } from '../options.js';

/** `snagsync runs list|show`: the run history, and per stream and partition what a run did. */
export const registerRuns: CommandGroup = ({ command: group, io }) => {
  group
    .command('list')
    .description('list runs, newest first')
    .option('--source <source>', 'only the runs of this source (name or id)')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ source?: string; limit: string; json?: boolean }>();
      const limit = numberOption('limit', flags.limit, { min: 1 });
      await withRuntime(io, async (rt) => {
        const sourceId = flags.source ? (await rt.store.sources.findByNameOrId(flags.source)).id : undefined;
        // A run left `running` by a killed process is shown as what it is.
        await rt.store.runs.failStale();
        const runs = await rt.store.runs.list({ limit, ...(sourceId ? { sourceId } : {}) });
        if (flags.json) return printJson(io, runs);
        const names = new Map((await rt.store.sources.list()).map((s) => [s.id, s.name]));
        printLine(
          io,
          table(
            runs.map((r) => ({
              run: r.id,
              source: names.get(r.source_id) ?? r.source_id,
              status: r.status,
              trigger: r.trigger,
              started: r.started_at,
              duration: r.finished_at ? formatDuration(Date.parse(r.finished_at) - Date.parse(r.started_at)) : '-',
              records: String(r.totals.records_read),
              requests: String(r.totals.requests),
              error: r.error ? r.error.error : '',
            })),
            ['run', 'source', 'status', 'trigger', 'started', 'duration', 'records', 'requests', 'error'],
          ),
        );
      });
    });

  group
    .command('show')
    .description('show one run: per stream and partition, records read and written, requests, waits, duration, outcome')
    .argument('<run-id>', 'the run id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, id: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const run = await rt.store.runs.findById(id);
        const streams = await rt.store.runs.listStreams(run.id);
        if (flags.json) return printJson(io, { ...run, streams });
        const lines = [
          `Run ${run.id}: ${run.status} (${run.trigger}), started ${run.started_at}${run.finished_at ? `, finished ${run.finished_at}` : ''}`,
          `Totals: ${run.totals.records_read} records read, ${run.totals.records_written} written, ${run.totals.requests} requests, ${formatDuration(run.totals.rate_limit_wait_ms)} waiting for the rate limit`,
        ];
        if (run.error)
          lines.push(
            `Error (${run.error.error}): ${run.error.message}${run.error.hint ? `\n  ${run.error.hint}` : ''}`,
          );
        lines.push(
          table(
            streams.map((s) => ({
              stream: s.stream,
              // The name the run saved ("Checkout (Acme)"); the id for older runs and nameless partitions.
              partition: s.partition_label ?? (s.partition || '-'),
              read: String(s.records_read),
              written: String(s.records_written),
              pages: String(s.pages),
              requests: String(s.requests),
              wait: s.wait_ms ? formatDuration(s.wait_ms) : '-',
              duration: formatDuration(s.duration_ms),
              outcome: s.outcome ?? 'running',
              message: s.message ?? '',
            })),
            ['stream', 'partition', 'read', 'written', 'pages', 'requests', 'wait', 'duration', 'outcome', 'message'],
          ),
        );
        printLine(io, lines.join('\n'));
      });
    });
};
