import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import { formatDuration } from '../../core/time.js';
import { createCredentialService } from '../../credentials/index.js';
import { createSource, startRun, STREAM_NAMES, type RunSummary } from '../../engine/index.js';
import { openRuntime } from '../../runtime.js';
import type { CommandGroup } from '../context.js';
import { notice, printLine, table, type Io } from '../output.js';
import { attachProgress } from '../progress.js';
import { onInterrupt } from './sync.js';

/**
 * `snagsync demo` (`npm run demo`): the whole product on a fresh clone, offline, in well under a minute. It starts
 * the simulator in this process, and in a snagsync home of its own (never the user's real one) adds a credential
 * (verified against the simulator), creates a source with every stream, syncs it into a SQLite file, then adds
 * events and syncs again to show an incremental run. The home is wiped at the start of each demo, and kept after
 * it so the data can be explored.
 */
const MARKER = '.snagsync-demo';
/** The simulator's rate limit, on a window scaled down to one second: enough to see the pacing, not to wait long. */
const DEMO_RATE_LIMIT = 300;
const DEMO_WINDOW_MS = 1000;

export const registerDemo: CommandGroup = ({ command, io, setExitCode }) => {
  command
    .option('--home <dir>', "the demo's snagsync home (default: <tmp>/snagsync-demo; wiped first)")
    .action(async function (this: Command) {
      const flags = this.opts<{ home?: string }>();
      const home = resolve(flags.home ?? join(tmpdir(), 'snagsync-demo'));
      prepareHome(home);
      const started = Date.now();
      // Loaded here, not at the top: every other command would otherwise load the whole simulator.
      const { startSimulator } = await import('../../sim/index.js');
      const sim = await startSimulator({
        seed: 7,
        orgs: 2,
        projects: 3,
        errors: 60,
        events: 3000,
        releases: 24,
        rateLimit: DEMO_RATE_LIMIT,
        rateWindowMs: DEMO_WINDOW_MS,
      });
      // The demo is self-contained: a shared database configured for real work (SNAGSYNC_DATABASE_URL) is left alone.
      const rt = openRuntime({ env: { ...io.env, SNAGSYNC_HOME: home, SNAGSYNC_DATABASE_URL: '' }, home });
      const controller = new AbortController();
      const stopSignals = onInterrupt(io, controller);
      try {
        notice(io, `snagsync demo — home ${home} (simulator on ${sim.url})`);
        const token = sim.tokens.find((t) => t.role === 'multi-org')!;
        const service = createCredentialService({ store: rt.store, vault: rt.vault, home: rt.home, env: rt.env });
        const { credential } = await service.createCredential({
          name: 'demo',
          description: "the simulator's multi-organization token",
          token: token.token,
          host: sim.url,
        });
        notice(
          io,
          `1. credential "demo" added and verified (${credential.verified_status}, token …${credential.token_last4})`,
        );
        const db = join(home, 'bugsnag.db');
        const { source } = await createSource(rt, {
          name: 'demo',
          credential: 'demo',
          streams: [...STREAM_NAMES],
          destination: `sqlite:${db}`,
        });
        notice(io, `2. source "demo" created: ${STREAM_NAMES.length} streams → sqlite:${db}`);

        const client = { rateWindowMs: DEMO_WINDOW_MS };
        notice(io, '3. first sync (everything):');
        const first = await runWithProgress(io, rt, source.id, controller.signal, client);
        if (first.status !== 'succeeded') return fail(io, first, setExitCode);

        const added = sim.addEvents({ count: 25 });
        notice(io, `4. ${added.length} new events arrive in Bugsnag; second sync (incremental):`);
        // A pass reads up to the whole second it starts in; what arrives within that second is the next pass's.
        // Waiting a second here lets this pass see the events just added.
        await sleep(1100, controller.signal);
        sim.resetStats();
        const second = await runWithProgress(io, rt, source.id, controller.signal, client);
        if (second.status !== 'succeeded') return fail(io, second, setExitCode);

        printLine(io, report(first, second, db, home, Date.now() - started));
      } finally {
        stopSignals();
        await rt.close();
        await sim.close();
      }
    });
};

function prepareHome(home: string): void {
  if (existsSync(home)) {
    // Only ever wipe a folder this demo made: a --home pointing at something else is refused.
    if (!existsSync(join(home, MARKER)) && readdirSync(home).length > 0) {
      throw new SnagError('config', `${home} is not empty and was not made by the demo; not touching it.`, {
        hint: 'Give --home a new or empty folder.',
      });
    }
    rmSync(home, { recursive: true, force: true });
  }
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(join(home, MARKER), 'made by `snagsync demo`; wiped by the next demo run\n');
}

async function runWithProgress(
  io: Io,
  rt: ReturnType<typeof openRuntime>,
  sourceId: string,
  signal: AbortSignal,
  client: { rateWindowMs: number },
): Promise<RunSummary> {
  const handle = await startRun(rt, sourceId, { trigger: 'cli', signal, client });
  const progress = attachProgress(
    io,
    handle.events,
    io.stderr.isTTY && io.env.SNAGSYNC_PROGRESS !== 'none' ? 'bars' : 'none',
  );
  const summary = await handle.done;
  progress.stop();
  return summary;
}

function fail(io: Io, s: RunSummary, setExitCode: (code: number) => void): void {
  notice(io, `The demo's sync ended ${s.status}: ${s.error?.message ?? ''}`);
  setExitCode(s.error?.exit_code ?? 1);
}

function report(first: RunSummary, second: RunSummary, db: string, home: string, ms: number): string {
  const rows = first.streams.map((s) => ({
    stream: s.stream,
    records: String(s.records_written),
    requests: String(s.requests),
    notes: s.skipped ? `skipped for ${s.skipped} partition(s) — see below` : '',
  }));
  const t = first.totals;
  rows.push({
    stream: 'total',
    records: String(t.records_written),
    requests: String(t.requests),
    notes: t.rate_limit_waits
      ? `${formatDuration(t.rate_limit_wait_ms)} paced by the rate limit, ${t.rate_limited} × 429`
      : '',
  });
  const events2 = second.streams.find((s) => s.stream === 'events');
  return [
    '',
    `First sync: ${first.totals.records_written} records in ${formatDuration(first.duration_ms)}, ${first.totals.requests} requests (simulated rate limit ${DEMO_RATE_LIMIT} requests per ${DEMO_WINDOW_MS / 1000} s window).`,
    table(rows, ['stream', 'records', 'requests', 'notes']),
    '',
    `Second sync (incremental): ${events2?.records_written ?? 0} events read, ${second.totals.requests} requests in ${formatDuration(second.duration_ms)} — only the new data, one request per incremental stream and project.`,
    first.warnings.length
      ? `\nSkipped on purpose (the demo token is an organization administrator in one organization only, and one plan lacks saved searches — as with many real tokens):\n${[...new Set(first.warnings.map((w) => `  ${w.stream}: ${w.message}`))].slice(0, 6).join('\n')}`
      : '',
    '',
    `The data is in ${db}. Try:`,
    `  sqlite3 ${db} "select error_class, count(*) as events from events group by 1 order by 2 desc limit 5"`,
    `  sqlite3 ${db} "select status, count(*) from errors group by 1"`,
    `Or look around with snagsync itself:`,
    `  SNAGSYNC_HOME=${home} npx snagsync runs list`,
    `  SNAGSYNC_HOME=${home} npx snagsync sources show demo`,
    '',
    `Demo done in ${formatDuration(ms)}.`,
  ].join('\n');
}
