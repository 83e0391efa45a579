import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import type { Simulator } from '../../sim/index.js';
import type { CommandGroup } from '../context.js';
import { numberOption } from '../options.js';
import { untilSignal } from '../signals.js';

interface SimFlags {
  port: string;
  host: string;
  seed: string;
  orgs: string;
  projects: string;
  errors: string;
  events: string;
  releases: string;
  rateLimit: string;
  rateWindowMs: string;
  faults: string;
  edrPrepareMs: string;
  edrMaxEvents: string;
  anchor?: string;
  fast?: boolean;
  json?: boolean;
}

/** `--fast`: the same 30 requests, per second instead of per minute, so a first sync's waits take seconds. */
const FAST_WINDOW_MS = '1000';

export const registerSim: CommandGroup = ({ command, io }) => {
  command
    .option('--port <n>', 'port to listen on (0 = any free port)', '0')
    .option(
      '--host <address>',
      'address to listen on (control endpoints /__sim/… only answer on loopback)',
      '127.0.0.1',
    )
    .option('--seed <n>', 'seed: the same seed gives the same data', '1')
    .option('--orgs <n>', 'organizations', '2')
    .option('--projects <n>', 'projects per organization', '3')
    .option('--errors <n>', 'errors per project', '50')
    .option('--events <n>', 'events per project', '2000')
    .option('--releases <n>', 'releases per project', '20')
    .option('--rate-limit <n>', 'requests per token per window (the real API was seen at 30)', '30')
    .option('--rate-window-ms <ms>', 'rate-limit window in milliseconds', '60000')
    .option(
      '--fast',
      `a ${Number(FAST_WINDOW_MS) / 1000} s rate-limit window (unless --rate-window-ms): syncs wait about 1 s, not 61 s`,
    )
    .option('--faults <spec>', 'faults to inject, e.g. 500:0.1,reset:0.05,truncate:0.05,slow:200ms@0.1,429storm:5s', '')
    .option('--edr-prepare-ms <ms>', 'how long an event data request takes to become COMPLETED', '2000')
    .option('--edr-max-events <n>', 'most events one event data request may select (past it: 400)', '100000')
    .option('--anchor <time>', 'where generated history ends (ISO 8601; default: start of the current UTC day)')
    .option('--json', 'print one JSON line {"url","tokens",…} on stdout, then serve until SIGINT/SIGTERM')
    .action(async function (this: Command) {
      const flags = this.opts<SimFlags>();
      if (flags.fast && this.getOptionValueSource('rateWindowMs') === 'default') flags.rateWindowMs = FAST_WINDOW_MS;
      // Listen for signals before announcing the URL: a caller may send SIGTERM the moment it reads the line.
      const stopped = untilSignal();
      let sim: Simulator;
      try {
        sim = await start(flags);
      } catch (err) {
        stopped.cancel();
        throw err;
      }
      // Simulator tokens are fake and printing them is the point, so they bypass the redacting printers.
      if (flags.json)
        io.stdout.write(`${JSON.stringify({ url: sim.url, tokens: sim.tokens, fixtures: sim.fixtures })}\n`);
      else io.stdout.write(summary(sim, flags));
      await stopped.done;
      await sim.close();
      if (!flags.json) io.stderr.write('snagsync sim: stopped\n');
    });
};

async function start(flags: SimFlags): Promise<Simulator> {
  // The simulator's own limits (src/sim/options.ts), checked here so that a bad value names its option.
  const parsed = {
    data: {
      port: numberOption('port', flags.port, { min: 0, max: 65535 }),
      seed: numberOption('seed', flags.seed, { min: 0, max: 2 ** 32 - 1 }),
      orgs: numberOption('orgs', flags.orgs, { min: 1, max: 64 }),
      projects: numberOption('projects', flags.projects, { min: 1, max: 1000 }),
      errors: numberOption('errors', flags.errors, { min: 1, max: 1_000_000 }),
      events: numberOption('events', flags.events, { min: 1, max: 1_000_000_000 }),
      releases: numberOption('releases', flags.releases, { min: 1, max: 100_000 }),
      rateLimit: numberOption('rate-limit', flags.rateLimit, { min: 1 }),
      rateWindowMs: numberOption('rate-window-ms', flags.rateWindowMs, { min: 1, unit: 'milliseconds' }),
      edrPrepareMs: numberOption('edr-prepare-ms', flags.edrPrepareMs, {
        min: 0,
        max: 86_400_000,
        unit: 'milliseconds',
      }),
      edrMaxEvents: numberOption('edr-max-events', flags.edrMaxEvents, { min: 1, max: 1_000_000_000 }),
    },
  };
  // Loaded here, not at the top: every other command would otherwise load the whole simulator.
  // zod too: the simulator validates with it, and `sim --help` need not load it.
  const [{ startSimulator }, { FaultSpecError }, { z }] = await Promise.all([
    import('../../sim/index.js'),
    import('../../sim/http/faults.js'),
    import('zod'),
  ]);
  try {
    return await startSimulator({ ...parsed.data, host: flags.host, faults: flags.faults, anchor: flags.anchor });
  } catch (err) {
    if (err instanceof FaultSpecError)
      throw new SnagError('config', `--faults: ${err.message}`, { details: { field: 'faults' } });
    if (err instanceof z.ZodError) {
      const issue = err.issues[0];
      throw new SnagError(
        'config',
        `--${String(issue?.path[0] ?? 'option').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue?.message ?? 'invalid'}`,
      );
    }
    if (err instanceof Error && /EADDRINUSE|EACCES|EADDRNOTAVAIL/.test((err as NodeJS.ErrnoException).code ?? '')) {
      throw new SnagError(
        'config',
        `Cannot listen on ${flags.host}:${flags.port}: ${(err as NodeJS.ErrnoException).code}.`,
        {
          hint: 'Pick another --port, or --port 0 for any free port.',
        },
      );
    }
    if (err instanceof Error && /anchor/.test(err.message))
      throw new SnagError('config', `--anchor: ${err.message}`, { details: { field: 'anchor' } });
    throw err;
  }
}

function summary(sim: Simulator, flags: SimFlags): string {
  const windowMs = Number(flags.rateWindowMs);
  const per = windowMs === 60_000 ? 'minute' : `${windowMs / 1000} s`;
  const admin = sim.tokens.find((t) => t.role === 'admin') ?? sim.tokens[0]!;
  const lines = [
    `Bugsnag Data Access API simulator listening on ${sim.url}`,
    '',
    'Personal auth tokens:',
    ...sim.tokens.map(
      (t) =>
        `  ${t.role.padEnd(10)} ${t.token}  ${t.user} <${t.email}>  orgs: ${t.organizations.join(', ')}${t.admin ? '  (org admin)' : ''}`,
    ),
    '',
    'Try it:',
    `  curl -H 'Authorization: token ${admin.token}' -H 'X-Version: 2' ${sim.url}/user/organizations`,
    '',
    'Special cases:',
    `  project without sessions (stability_trend → 204):          ${sim.fixtures.projectWithoutSessions ?? '-'}`,
    `  project without primary release stage (stability → 404):   ${sim.fixtures.projectWithoutPrimaryStage ?? '-'}`,
    `  project hidden from the member token (→ 404):              ${sim.fixtures.projectHiddenFromMember ?? '-'}`,
    `  organization without saved searches (→ 403):               ${sim.fixtures.orgWithoutSavedSearches ?? '-'}`,
    `  organization without feature flags, Performance (→ 403):   ${sim.fixtures.orgWithoutFlagsAndPerformance ?? '-'}`,
    `  a project notifier API key (refused as a token, → 401):    ${sim.fixtures.projectApiKey}`,
    '',
    `Rate limit: ${flags.rateLimit} requests per token per ${per}${windowMs === 60_000 ? ' (--fast: per second)' : ''}.`,
    `Control: GET ${sim.url}/__sim (info), /__sim/stats; POST /__sim/events {"count":10} adds events now.`,
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}
