import type { Command } from 'commander';
import { toSnagError } from '../../core/errors.js';
import { lineWriter, readJsonFile } from '../../protocols/input.js';
import type { CommandGroup } from '../context.js';
import { onInterrupt } from './sync.js';

/**
 * `snagsync singer`: a Singer tap (Meltano and any Singer runner). `--discover` prints the catalog; otherwise SCHEMA,
 * RECORD and STATE messages on stdout, one JSON object a line, logs on stderr.
 */
export const registerSinger: CommandGroup = ({ command, io, setExitCode }) => {
  command
    .requiredOption('--config <file>', 'the tap config (JSON): token, host and the source options')
    .option('--state <file>', 'the state: the value of the last STATE message (JSON)')
    .option('--catalog <file>', 'the catalog with the selected streams (JSON); default: the default streams')
    .option('--properties <file>', 'the same as --catalog (older Singer runners)')
    .option('--discover', 'print the catalog: every stream with its schema, keys and metadata')
    .action(async function (this: Command) {
      const o = this.opts<{
        config: string;
        state?: string;
        catalog?: string;
        properties?: string;
        discover?: boolean;
      }>();
      let token = '';
      const emit = lineWriter(
        (line) => io.stdout.write(line),
        () => [token],
      );
      const log = (line: string) => io.stderr.write(`${token ? line.split(token).join('[REDACTED]') : line}\n`);
      try {
        // The tap (engine, client, catalog) is imported when it runs: `singer --help` loads only its options.
        const [
          { parseConnectorConfig },
          { defaultSelection, parseSingerCatalog, parseSingerState, singerCatalog },
          { runTap },
        ] = await Promise.all([
          import('../../protocols/config.js'),
          import('../../protocols/singer/catalog.js'),
          import('../../protocols/singer/tap.js'),
        ]);
        const raw = readJsonFile(o.config, 'config');
        const config = parseConnectorConfig(raw);
        token = config.token.trim();
        if (o.discover) {
          emit(singerCatalog());
          return;
        }
        const catalogFile = o.catalog ?? o.properties;
        const selection = catalogFile ? parseSingerCatalog(readJsonFile(catalogFile, 'catalog')) : defaultSelection();
        const state = o.state ? parseSingerState(readJsonFile(o.state, 'state')) : {};
        const controller = new AbortController();
        const stop = onInterrupt(io, controller);
        try {
          setExitCode(
            await runTap(
              { emit: (m) => emit(m), log, env: io.env, signal: controller.signal },
              config,
              selection,
              state,
            ),
          );
        } finally {
          stop();
        }
      } catch (err) {
        const e = toSnagError(err);
        log(`snagsync: ${e.describe()}`);
        setExitCode(e.exitCode);
      }
    });
};
