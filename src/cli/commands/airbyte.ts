import type { Command } from 'commander';
import { lineWriter, readJsonFile } from '../../protocols/input.js';
import type { CommandGroup } from '../context.js';
import { onInterrupt } from './sync.js';

/**
 * `snagsync airbyte spec|check|discover|read`: the Airbyte source protocol, as the platform calls a connector image's
 * entry point. stdout carries protocol messages only (one JSON object a line); logs go into LOG messages.
 */
/** The connector (engine, client, catalog), imported when a subcommand runs: `airbyte --help` loads only options. */
const connector = () => import('../../protocols/airbyte/connector.js');

export const registerAirbyte: CommandGroup = ({ command, io, setExitCode }) => {
  const airbyte = command;
  let token = '';
  const emit = lineWriter(
    (line) => io.stdout.write(line),
    () => [token],
  );
  const config = (path: string) => {
    const raw = readJsonFile(path, 'config');
    if (raw && typeof raw === 'object' && typeof (raw as { token?: unknown }).token === 'string')
      token = (raw as { token: string }).token.trim();
    return raw;
  };
  // Unreadable files are protocol failures too (a TRACE ERROR), never a bare stderr line.
  const guarded = async (fn: () => number | Promise<number>) => {
    try {
      setExitCode(await fn());
    } catch (err) {
      const { failWith } = await connector();
      setExitCode(failWith({ emit, env: io.env }, err));
    }
  };

  airbyte
    .command('spec')
    .description('print the connector specification (SPEC)')
    .action(() => guarded(async () => (await connector()).spec({ emit, env: io.env })));
  airbyte
    .command('check')
    .description('check the config: the token and host (CONNECTION_STATUS)')
    .requiredOption('--config <file>', 'the connector config (JSON)')
    .action(function (this: Command) {
      const o = this.opts<{ config: string }>();
      return guarded(async () => (await connector()).check({ emit, env: io.env }, config(o.config)));
    });
  airbyte
    .command('discover')
    .description('print every stream with its JSON Schema, key, cursor and sync modes (CATALOG)')
    .requiredOption('--config <file>', 'the connector config (JSON)')
    .action(function (this: Command) {
      const o = this.opts<{ config: string }>();
      return guarded(async () => (await connector()).discover({ emit, env: io.env }, config(o.config)));
    });
  airbyte
    .command('read')
    .description('read the configured catalog: RECORD and STATE messages, resuming from --state')
    .requiredOption('--config <file>', 'the connector config (JSON)')
    .requiredOption('--catalog <file>', 'the configured catalog (JSON)')
    .option('--state <file>', 'the state last emitted (JSON)')
    .action(function (this: Command) {
      const o = this.opts<{ config: string; catalog: string; state?: string }>();
      return guarded(async () => {
        const { read } = await connector();
        const controller = new AbortController();
        const stop = onInterrupt(io, controller);
        try {
          const raw = config(o.config);
          const catalog = readJsonFile(o.catalog, 'catalog');
          const state = o.state ? readJsonFile(o.state, 'state') : null;
          return await read({ emit, env: io.env, signal: controller.signal }, raw, catalog, state);
        } finally {
          stop();
        }
      });
    });
};
