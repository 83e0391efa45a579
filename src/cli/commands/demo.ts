import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';
import { formatDuration } from '../../core/time.js';
import type { RunSummary } from '../../engine/index.js';
import type { openRuntime } from '../../runtime.js';
import type { LogLevel } from '../../core/log.js';
import type { Simulator } from '../../sim/index.js';
import type { CommandGroup } from '../context.js';
import { numberOption } from '../options.js';
import { notice, printLine, table, type Io } from '../output.js';
import { untilSignal } from '../signals.js';
import { onInterrupt } from './sync.js';

/**
 * `snagsync demo` (`npm run demo`): the whole product on a fresh clone, offline, in well under a minute. It starts
 * the simulator in this process, and in a snagsync home of its own (never the user's real one) adds a credential
 * (verified against the simulator), creates a source with every stream, syncs it into a SQLite file, then adds
 * events and syncs again to show an incremental run. The home is wiped at the start of each demo, and kept after
 * it so the data can be explored. With `--serve`, the simulator and the web UI then stay up on that home until
 * SIGINT/SIGTERM (exit 0), so that Run now, Test and new sources work against the simulator the credential names.
 */
const MARKER = '.snagsync-demo';
/** The simulator's rate limit, on a window scaled down to one second: enough to see the pacing, not to wait long. */
const DEMO_RATE_LIMIT = 300;
const DEMO_WINDOW_MS = 1000;

export const registerDemo: CommandGroup = ({ command, io, setExitCode }) => {
  command
    .option('--home <dir>', "the demo's snagsync home (default: <tmp>/snagsync-demo; wiped first)")
    .option('--serve', 'then keep the simulator and the web UI running on the demo home until Ctrl-C')
    .option('--port <n>', 'with --serve: port of the web UI (0 = any free port)', '0')
    .option('--json', 'print one JSON summary on stdout (with --serve: once the web UI listens)')
    .action(async function (this: Command) {
      const flags = this.opts<{ home?: string; serve?: boolean; port: string; json?: boolean }>();
      const port = numberOption('port', flags.port, { min: 0, max: 65535 });
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
      // Loaded when the demo runs (as the simulator above): `demo --help` loads only its options.
      const [{ createCredentialService }, { createSource, STREAM_NAMES }, { openRuntime }] = await Promise.all([
        import('../../credentials/index.js'),
        import('../../engine/index.js'),
        import('../../runtime.js'),
      ]);
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

        const summary = jsonSummary(first, second, db, home, sim, Date.now() - started);
        if (!flags.serve) {
          if (flags.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
          else printLine(io, report(first, second, db, home, Date.now() - started));
          return;
        }
        if (!flags.json) printLine(io, report(first, second, db, home, Date.now() - started, true));
        stopSignals();
        await serveDemo(io, rt, sim, port, flags.json ? summary : null);
      } finally {
        stopSignals();
        await rt.close();
        await sim.close();
      }
    });
};

/**
 * The web UI on the demo's home, its simulator still up, until SIGINT/SIGTERM. The key was generated for this home
 * (or is SNAGSYNC_SERVER_KEY) and is printed: the home is a throwaway, wiped by the next demo.
 */
async function serveDemo(
  io: Io,
  rt: ReturnType<typeof openRuntime>,
  sim: Simulator,
  port: number,
  json: Record<string, unknown> | null,
): Promise<void> {
  const stopped = untilSignal();
  const { createLogger } = await import('../../core/log.js');
  const logger = createLogger(io.stderr, (io.env.SNAGSYNC_LOG_LEVEL as LogLevel | undefined) ?? 'warn');
  // Loaded here, not at the top: the plain demo needs no Fastify.
  const { startServer } = await import('../../server/start.js');
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({ runtime: rt, host: '127.0.0.1', port, logger });
  } catch (err) {
    stopped.cancel();
    throw err;
  }
  const k = server.key;
  // The key is printed on purpose (a throwaway home's key): it bypasses the redacting printers.
  const key = k.source === 'env' ? null : k.key;
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ...json, serve: { url: server.url, login_url: `${server.url}/login`, key, key_source: k.source, simulator_url: sim.url } })}\n`,
    );
  } else {
    io.stdout.write(
      [
        '',
        `The web UI on the demo's home: ${server.url}/login`,
        key ? `Server key: ${key}` : 'Server key: the value of SNAGSYNC_SERVER_KEY.',
        `The simulator stays up on ${sim.url}: Run now, Test and new sources work against it.`,
        'Press Ctrl-C to stop both.',
        '',
      ].join('\n'),
    );
  }
  await stopped.done;
  await server.close();
  if (!json) io.stderr.write('snagsync demo: stopped\n');
}

function jsonSummary(
  first: RunSummary,
  second: RunSummary,
  db: string,
  home: string,
  sim: Simulator,
  ms: number,
): Record<string, unknown> {
  const brief = (s: RunSummary) => ({
    run_id: s.run_id,
    status: s.status,
    duration_ms: s.duration_ms,
    totals: s.totals,
    streams: s.streams.map((x) => ({ stream: x.stream, records_written: x.records_written, requests: x.requests })),
  });
  return {
    home,
    destination: `sqlite:${db}`,
    simulator_url: sim.url,
    first_sync: brief(first),
    second_sync: brief(second),
    duration_ms: ms,
  };
}

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
  const [{ startRun }, { attachProgress }] = await Promise.all([
    import('../../engine/index.js'),
    import('../progress.js'),
  ]);
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

function report(first: RunSummary, second: RunSummary, db: string, home: string, ms: number, serving = false): string {
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
    ...(serving
      ? []
      : [
          'The simulator has stopped with the demo, so syncs from this home now fail to reach it. To keep it up and',
          'look around in the web UI (Run now, the wizard, the overview): npx snagsync demo --serve',
        ]),
  ].join('\n');
}
