import type { Command } from 'commander';
import { EXIT_CODES, SnagError, type ErrorCode } from '../../core/errors.js';
import type { planView, WritebackReport, WritebackSession } from '../../writeback/index.js';
import type { CommandGroup } from '../context.js';
import { notice, printJson, printLine, table, type Io } from '../output.js';
import { promptVisible, readAllBytes } from '../prompt.js';
import { withRuntime } from '../runtime.js';
import { onInterrupt } from './sync.js';
import { numberOption } from '../options.js';

/** The write-back engine, imported when an action runs: `writeback --help` loads only the options. */
const writeback = () => import('../../writeback/index.js');

interface Flags {
  credential: string;
  from: string;
  json?: boolean;
  yes?: boolean;
  confirmAbove: string;
}

/**
 * `snagsync writeback plan|apply`: apply error workflow changes (fix, snooze, assign, comment…) decided in the user's
 * own data back to Bugsnag. `plan` only reads; `apply` writes, journaled so a rerun applies only what is missing.
 */
export const registerWriteback: CommandGroup = ({ command, io, setExitCode }) => {
  const wb = command;
  const common = (cmd: Command) =>
    cmd
      .requiredOption('--credential <credential>', 'credential name or id whose token makes the changes')
      .requiredOption(
        '--from <input>',
        'rows: a .jsonl or .csv file, - for standard input, sqlite:PATH?query=SELECT … or postgres://…?schema=S&query=SELECT …',
      )
      .option('--json', 'print the plan or report as JSON');

  common(
    wb.command('plan').description('show what would change (reads the errors from Bugsnag; changes nothing)'),
  ).action(async function (this: Command) {
    const flags = this.opts<Flags>();
    const { planView, prepareWriteback } = await writeback();
    await withRuntime(io, async (rt) => {
      const s = await prepareWriteback(rt, flags.credential, flags.from, {
        stdin: () => readAllBytes(io.stdin),
        onWarning: (w) => notice(io, `snagsync: warning: ${w}`),
      });
      if (flags.json) printJson(io, planView(s.plan));
      else printLine(io, formatPlan(s, planView(s.plan)));
    });
  });

  common(wb.command('apply').description('make the changes; rerunning the same input applies only what is missing'))
    .option('--yes', 'do not ask for confirmation (discard, or more errors than --confirm-above)')
    .option('--confirm-above <n>', 'ask before changing more than this many errors', '100')
    .action(async function (this: Command) {
      const flags = this.opts<Flags>();
      const limit = numberOption('confirm-above', flags.confirmAbove, { min: 0 });
      const { prepareWriteback } = await writeback();
      await withRuntime(io, async (rt) => {
        const controller = new AbortController();
        const stop = onInterrupt(io, controller);
        try {
          const s = await prepareWriteback(rt, flags.credential, flags.from, {
            stdin: () => readAllBytes(io.stdin),
            onWarning: (w) => notice(io, `snagsync: warning: ${w}`),
            signal: controller.signal,
          });
          await confirm(io, s, flags, limit);
          const progress = await startProgress(io, s.plan.rows);
          const report = await s.apply({ onProgress: progress.update });
          progress.stop();
          if (flags.json) printJson(io, report);
          else printLine(io, formatReport(report));
          if (report.stopped) notice(io, `snagsync: ${report.stopped.describe()}`);
          for (const f of report.history.failed)
            notice(io, `snagsync: warning: error history not recorded in ${f.destination}: ${f.reason}`);
          setExitCode(exitCodeOf(report));
        } finally {
          stop();
        }
      });
    });
};

async function confirm(io: Io, s: WritebackSession, flags: Flags, limit: number): Promise<void> {
  if (flags.yes) return;
  const changing = s.plan.groups.reduce((n, g) => n + g.change.length, 0);
  const discards = s.plan.groups.filter((g) => g.operation === 'discard').reduce((n, g) => n + g.change.length, 0);
  const reasons = [
    discards ? `discard ${discards} error${discards === 1 ? '' : 's'}` : '',
    changing > limit ? `change ${changing} errors (more than ${limit})` : '',
  ].filter(Boolean);
  if (!reasons.length) return;
  const what = `This would ${reasons.join(' and ')} in Bugsnag.`;
  if (!io.stdin.isTTY || !io.stderr.isTTY) {
    throw new SnagError('usage', `${what} Refusing without confirmation: there is no terminal to ask on.`, {
      hint: 'Check the changes with `snagsync writeback plan`, then rerun apply with --yes.',
    });
  }
  notice(io, formatPlan(s, (await writeback()).planView(s.plan)));
  const answer = await promptVisible(`${what} Type yes to go on: `, io.stdin, io.stderr);
  if (answer.trim().toLowerCase() !== 'yes') throw new SnagError('aborted', 'Cancelled: nothing was sent.');
}

async function startProgress(
  io: Io,
  total: number,
): Promise<{ update: (done: number, total: number) => void; stop: () => void }> {
  const { progressMode } = await import('../progress.js');
  const mode = progressMode(io);
  if (mode === 'none') return { update: () => undefined, stop: () => undefined };
  if (mode === 'json') {
    let last = -1;
    return {
      update: (done, t) => {
        // One line per tenth of the rows, and the last: enough to follow, not a line per row.
        const step = Math.max(1, Math.floor(t / 10));
        if (done === t || done - last >= step) {
          last = done;
          io.stderr.write(`${JSON.stringify({ type: 'writeback_progress', done, total: t })}\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    { stream: io.stderr, format: 'write-back {bar} {value}/{total} rows', hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return { update: (done) => bar.update(done), stop: () => bar.stop() };
}

/** The plan's view is computed by the caller, which has the write-back module loaded. */
function formatPlan(s: WritebackSession, v: ReturnType<typeof planView>): string {
  const rows = v.groups.map((g) => ({
    operation: g.operation + (Object.keys(g.params).length ? ` ${JSON.stringify(g.params)}` : ''),
    project: g.project_id,
    change: String(g.change.length),
    skip: String(g.skip.length),
    'not found': String(g.missing.length),
    requests: String(g.requests),
  }));
  const lines = [
    `Write-back plan with ${s.credential.name}: ${v.rows} rows, ${v.writes} write request${v.writes === 1 ? '' : 's'} (${v.reads} reads made to plan it).`,
    table(rows, ['operation', 'project', 'change', 'skip', 'not found', 'requests']),
  ];
  for (const g of v.groups) for (const m of g.missing) lines.push(`  row ${m.row}: ${m.message}`);
  // A state already so speaks for itself; a comment found on the error or a row given twice is worth naming.
  const notable = v.groups.flatMap((g) => g.skip.filter((k) => k.reason !== 'already so'));
  for (const k of notable.slice(0, 50)) lines.push(`  row ${k.row}: skipped, ${k.reason}`);
  if (notable.length > 50) lines.push(`  … and ${notable.length - 50} more skipped (--json lists every row)`);
  return lines.join('\n');
}

function formatReport(r: WritebackReport): string {
  const lines = [
    `Write-back ${r.journal_id} (attempt ${r.attempt}): ${r.totals.applied} applied, ${r.totals.skipped} skipped, ${r.totals.failed} failed; ${r.writes} write requests.`,
  ];
  const failed = r.rows.filter((x) => x.outcome === 'failed');
  if (failed.length) {
    lines.push('Failed rows:');
    for (const f of failed.slice(0, 100)) lines.push(`  row ${f.row} (${f.operation} ${f.error_id}): ${f.message}`);
    if (failed.length > 100) lines.push(`  … and ${failed.length - 100} more (--json lists every row)`);
  }
  const h = r.history;
  if (h.destinations || h.failed.length)
    lines.push(
      `Error history: ${h.intervals} changes recorded in ${h.destinations} destination(s)${h.failed.length ? `; not recorded in ${h.failed.length}: ${h.failed.map((f) => f.reason).join('; ')}` : ''}.`,
    );
  return lines.join('\n');
}

/** 0 when every row is applied or skipped; otherwise the exit code of the first failure (403 → 11, 404 → 13, …). */
function exitCodeOf(r: WritebackReport): number {
  if (r.stopped) return r.stopped.exitCode;
  const failed = r.rows.find((x) => x.outcome === 'failed');
  if (!failed) return 0;
  return EXIT_CODES[(failed.code ?? 'server_error') as ErrorCode] ?? EXIT_CODES.server_error;
}
