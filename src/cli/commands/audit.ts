import type { Command } from 'commander';
import type { CommandGroup } from '../context.js';
import { numberOption } from '../options.js';
import { printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';

/** `snagsync audit`: the audit log `serve` writes (changes, refusals, uses of Bugsnag credentials), newest first. */
export const registerAudit: CommandGroup = ({ command, io }) => {
  command
    .option('--limit <n>', 'how many entries', '50')
    .option('--before <id>', 'entries older than this id (the next page)')
    .option('--actor <actor>', 'only this actor: an email, or "server key"')
    .option('--json', 'print {"entries": […], "next_before": …}')
    .action(async function (this: Command) {
      const flags = this.opts<{ limit: string; before?: string; actor?: string; json?: boolean }>();
      const limit = numberOption('limit', flags.limit, { min: 1, max: 10_000 });
      const before = flags.before === undefined ? undefined : numberOption('before', flags.before, { min: 1 });
      await withRuntime(io, async (rt) => {
        const page = await rt.store.audit.list({
          limit,
          ...(before !== undefined ? { before } : {}),
          ...(flags.actor !== undefined ? { actor: flags.actor } : {}),
        });
        if (flags.json) return printJson(io, page);
        printLine(
          io,
          table(
            page.entries.map((e) => ({
              id: String(e.id),
              at: e.at,
              actor: e.actor,
              what: `${e.method} ${e.route}`,
              resource: e.resource_id ?? '',
              fields: e.fields.join(','),
              outcome: `${e.outcome} ${e.status}${e.permission ? ` (${e.permission})` : ''}`,
            })),
            ['id', 'at', 'actor', 'what', 'resource', 'fields', 'outcome'],
          ),
        );
        if (page.next_before !== null) printLine(io, `Older entries: snagsync audit --before ${page.next_before}`);
      });
    });
};
