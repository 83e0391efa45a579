import type { Command } from 'commander';
import { createLogger, type LogLevel } from '../../core/log.js';
import { DEFAULT_HOST, DEFAULT_PORT } from '../../server/defaults.js';
import type { StartedServer } from '../../server/start.js';
import { clusterExecutor, type ClusterExecutor } from '../cluster.js';
import type { CommandGroup } from '../context.js';
import { untilSignal } from '../signals.js';
import { numberOption } from '../options.js';
import { printRuntimeWarnings } from '../runtime.js';

/**
 * `snagsync serve`: the HTTP API and the web UI. Prints where it listens and how to authenticate; a key generated
 * now is printed this once (it is kept in <home>/server.key, mode 0600). Logs (JSON, secrets redacted) go to stderr.
 */

interface ServeFlags {
  host: string;
  port: string;
  tlsCert?: string;
  tlsKey?: string;
  json?: boolean;
  /** commander's `--no-scheduler`: true unless it is given. */
  scheduler: boolean;
  /** commander's `--no-webhooks`: true unless it is given (SNAGSYNC_WEBHOOKS=off also turns them off). */
  webhooks: boolean;
  local?: boolean;
}

export const registerServe: CommandGroup = ({ command, io }) => {
  command
    .option(
      '--host <address>',
      'address to listen on; anything but loopback needs --tls-cert/--tls-key and a key set beforehand',
      DEFAULT_HOST,
    )
    .option('--port <n>', 'port to listen on (0 = any free port)', String(DEFAULT_PORT))
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'the private key of --tls-cert (PEM)')
    .option(
      '--no-scheduler',
      'do not run scheduled sources in this process (e.g. when snagsync schedule daemon or cron does)',
    )
    .option(
      '--no-webhooks',
      'do not receive Bugsnag webhooks (POST /hooks/bugsnag/…): every webhook URL answers 404 (also SNAGSYNC_WEBHOOKS=off)',
    )
    .option(
      '--local',
      'with a PostgreSQL store, run syncs in child processes of this server instead of enqueueing them for the workers',
    )
    .option(
      '--json',
      'print one JSON line {"url","key_source","key_file",…} on stdout, then serve until SIGINT/SIGTERM',
    )
    .action(async function (this: Command) {
      const flags = this.opts<ServeFlags>();
      const port = numberOption('port', flags.port, { min: 0, max: 65535 });
      // Imported when the command runs: its help needs none of it.
      const { openRuntime } = await import('../../runtime.js');
      const stopped = untilSignal();
      const runtime = openRuntime({ env: io.env });
      printRuntimeWarnings(io, runtime.warnings);
      const logger = createLogger(io.stderr, (io.env.SNAGSYNC_LOG_LEVEL as LogLevel | undefined) ?? 'info');
      let server: StartedServer;
      let queue: ClusterExecutor | null = null;
      try {
        // A PostgreSQL store connects and migrates now, so a wrong URL stops `serve` before it listens.
        await runtime.store.schemaVersion();
        // With a PostgreSQL store, Run now and the scheduler enqueue for the workers (`snagsync worker`); the live
        // view follows the run from the store whichever worker executes it.
        queue = await clusterExecutor(runtime, flags.local);
        // Loaded here, not at the top: every other command would otherwise load Fastify and the whole server.
        const { startServer } = await import('../../server/start.js');
        server = await startServer({
          runtime,
          host: flags.host,
          port,
          ...(flags.tlsCert !== undefined ? { tlsCert: flags.tlsCert } : {}),
          ...(flags.tlsKey !== undefined ? { tlsKey: flags.tlsKey } : {}),
          logger,
          app: {
            scheduler: flags.scheduler,
            ...(flags.webhooks ? {} : { webhooks: false }),
            ...(queue ? { executor: queue.executor } : {}),
          },
        });
      } catch (err) {
        stopped.cancel();
        await queue?.close();
        await runtime.close();
        throw err;
      }
      const k = server.key;
      // The key is printed on purpose, once, when it was just generated: it bypasses the redacting printers.
      if (flags.json) {
        io.stdout.write(
          `${JSON.stringify({ url: server.url, login_url: `${server.url}/login`, key_source: k.source, key_file: k.source === 'env' ? null : k.file, scheduler: flags.scheduler, webhooks: server.app.snag.webhooks.enabled, runs: queue ? 'queue' : 'process', ...(k.source === 'generated' ? { key: k.key } : {}) })}\n`,
        );
      } else {
        // A key made now is shown this once, on stderr (with the logs, not in stdout's data), and where it is kept.
        if (k.source === 'generated')
          io.stderr.write(`Server key (made now, shown only this once; kept in ${k.file}, mode 0600):\n  ${k.key}\n`);
        const keyLine =
          k.source === 'generated'
            ? `Server key: made now and printed once on stderr; kept in ${k.file}.`
            : k.source === 'env'
              ? 'Server key: the value of SNAGSYNC_SERVER_KEY.'
              : `Server key: in ${k.file}.`;
        io.stdout.write(
          [
            `snagsync web UI and HTTP API on ${server.url}`,
            '',
            keyLine,
            '',
            `Browser: open ${server.url}/login and enter the key.`,
            `Scripts: curl -H "Authorization: Bearer $KEY" ${server.url}/api/data_credentials`,
            `API description: ${server.url}/api/openapi.json`,
            queue
              ? 'Runs: enqueued for the workers (start them with snagsync worker; --local runs syncs in this server).'
              : 'Runs: a child process of this server each.',
            flags.scheduler
              ? 'Scheduler: on — scheduled sources run in this process (--no-scheduler turns it off).'
              : 'Scheduler: off — scheduled sources run only from snagsync schedule daemon, cron (schedule run-due) or by hand.',
            server.app.snag.webhooks.enabled
              ? 'Webhooks: on — Bugsnag posts to /hooks/bugsnag/SOURCE/SECRET (snagsync sources webhook SOURCE shows it; --no-webhooks turns them off).'
              : 'Webhooks: off — every webhook URL answers 404.',
            'Press Ctrl-C to stop.',
            '',
          ].join('\n'),
        );
      }
      await stopped.done;
      await server.close();
      await queue?.close();
      await runtime.close();
      if (!flags.json) io.stderr.write('snagsync serve: stopped\n');
    });
};
