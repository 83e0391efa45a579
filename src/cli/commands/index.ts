import type { CommandGroup } from '../context.js';

/**
 * The commands of `snagsync`, one module each in this folder. Only their names and descriptions live here, so that
 * `snagsync --help` and `--version` print without loading any command: a command's module, and with it what the
 * command needs (engine, store, simulator, server…), is imported only when that command runs or its help is asked for.
 *
 * Adding a command: write `commands/NAME.ts` exporting a `CommandGroup` that declares the command's arguments,
 * options, subcommands and action on the `command` it is given (named and described from here), and add a line
 * below; the order here is the order of `snagsync --help`. Options every command takes go on the program in main.ts.
 */
export interface CommandSpec {
  name: string;
  description: string;
  load(): Promise<CommandGroup>;
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'demo',
    description: 'run the demo: simulator → credential → source → sync into SQLite, then print a summary',
    load: async () => (await import('./demo.js')).registerDemo,
  },
  {
    name: 'sim',
    description: 'serve a simulator of the Bugsnag Data Access API on 127.0.0.1 (no account or network needed)',
    load: async () => (await import('./sim.js')).registerSim,
  },
  {
    name: 'credentials',
    description: 'Bugsnag credentials: a Personal Auth Token and its API host, verified and stored encrypted',
    load: async () => (await import('./credentials.js')).registerCredentials,
  },
  {
    name: 'sources',
    description: 'sources: what to read from Bugsnag with a credential, where to write it, and when',
    load: async () => (await import('./sources.js')).registerSources,
  },
  {
    name: 'streams',
    description:
      'list the streams a source can read: key, cursor, sync modes, partition, heavy (--json adds the JSON Schema)',
    load: async () => (await import('./streams.js')).registerStreams,
  },
  {
    name: 'sync',
    description: 'sync a source now: every selected stream, incrementally, resuming where the last run stopped',
    load: async () => (await import('./sync.js')).registerSync,
  },
  {
    name: 'worker',
    description:
      'take sync work from the PostgreSQL job queue and execute it (needs --database-url or SNAGSYNC_DATABASE_URL)',
    load: async () => (await import('./worker.js')).registerWorker,
  },
  {
    name: 'runs',
    description: 'run history: what each sync read, wrote, cost and how it ended',
    load: async () => (await import('./runs.js')).registerRuns,
  },
  {
    name: 'models',
    description:
      "analytics views (time to fix, reopens, release health…) in a source's SQLite or PostgreSQL destination",
    load: async () => (await import('./models.js')).registerModels,
  },
  {
    name: 'schedule',
    description: 'run scheduled sources when they are due',
    load: async () => (await import('./schedule.js')).registerSchedule,
  },
  {
    name: 'serve',
    description:
      'serve the HTTP API and the web UI (credentials, sources, runs, overview) on 127.0.0.1, and run scheduled sources',
    load: async () => (await import('./serve.js')).registerServe,
  },
  {
    name: 'store',
    description: 'the metadata store (credentials, sources, runs): where it is, and moving it to PostgreSQL',
    load: async () => (await import('./store.js')).registerStore,
  },
  {
    name: 'users',
    description: 'the people who use snagsync serve and their roles (viewer, editor, admin)',
    load: async () => (await import('./users.js')).registerUsers,
  },
  {
    name: 'tokens',
    description: "per-user API tokens for snagsync serve's HTTP API, shown once and stored hashed",
    load: async () => (await import('./tokens.js')).registerTokens,
  },
  {
    name: 'audit',
    description: 'the audit log of snagsync serve: changes, refused attempts and uses of Bugsnag credentials',
    load: async () => (await import('./audit.js')).registerAudit,
  },
  {
    name: 'writeback',
    description: 'apply error workflow changes (fix, ignore, snooze, assign, comment…) to Bugsnag in bulk',
    load: async () => (await import('./writeback.js')).registerWriteback,
  },
  {
    name: 'airbyte',
    description:
      'run as an Airbyte source connector: spec, check, discover, read (Airbyte protocol messages on stdout)',
    load: async () => (await import('./airbyte.js')).registerAirbyte,
  },
  {
    name: 'singer',
    description:
      'run as a Singer tap: --discover prints the catalog; otherwise SCHEMA, RECORD and STATE messages on stdout',
    load: async () => (await import('./singer.js')).registerSinger,
  },
];
