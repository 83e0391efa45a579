import { PassThrough } from 'node:stream';
import { type Command, CommanderError } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { buildProgram, loadCommand } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';
import { SnagError } from '../../src/core/errors.js';
import { parseStoreDatabaseUrl } from '../../src/store/postgres/url.js';
import { hostileText } from './arbitraries.js';
import { FEW } from './settings.js';

/**
 * The whole command tree as buildProgram and the command modules declare it, with every action replaced by one that
 * only records: arbitrary words and option values reach commander's parsing, the options' own parsers and the
 * program's hooks, and nothing runs. Anything thrown must be commander's usage error or a SnagError.
 */

interface Tree {
  program: Command;
  leaves: Array<{ path: string[]; command: Command }>;
  ran: string[][];
}

async function tree(): Promise<Tree> {
  const noop = new PassThrough();
  const io: Io = { stdout: noop, stderr: noop, stdin: noop, env: {} };
  const program = buildProgram(io);
  for (const spec of COMMANDS) await loadCommand(program, spec, io, () => {});
  const ran: string[][] = [];
  const leaves: Tree['leaves'] = [];
  const walk = (c: Command, path: string[]) => {
    if (c.commands.length === 0) {
      leaves.push({ path, command: c });
      c.action(() => {
        ran.push(path);
      });
    }
    for (const sub of c.commands) walk(sub, [...path, sub.name()]);
  };
  for (const c of program.commands) walk(c, [c.name()]);
  return { program, leaves, ran };
}

// Database URLs as typed, with passwords that may hold any character, percent-encoded or not.
const dbUrl = fc
  .tuple(
    fc.constantFrom('postgres://', 'postgresql://', 'sqlite://', ''),
    fc.stringMatching(/^[a-z]{0,6}$/),
    fc.stringMatching(/^[a-zA-Z0-9%@:!$&'()*+,;=._~-]{0,12}$/),
  )
  .map(([scheme, user, password]) => `${scheme}${user}:${password}@127.0.0.1:1/db`);
const word = fc.oneof(
  hostileText.filter((s) => !s.includes('\u0000')),
  dbUrl,
  fc.constantFrom('--', '-', '--json', '--help', '-h', '--no-color', '=', '%', '%zz'),
);

describe('the command tree, arbitrary arguments (property)', () => {
  it('every command: parsing arbitrary words and option values throws nothing but usage errors', async () => {
    const { leaves } = await tree();
    expect(leaves.length).toBeGreaterThan(10);
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.array(
          fc.oneof(
            word,
            fc.tuple(fc.nat(), word).map(([n, v]) => ({ n, v })),
          ),
          { maxLength: 6 },
        ),
        async (pick, parts) => {
          // A fresh tree each time: commander keeps parsed values on the command objects.
          const t = await tree();
          const leaf = t.leaves[pick % t.leaves.length]!;
          const options = [...leaf.command.options, ...t.program.options].filter((o) => o.long);
          const args = parts.map((p) =>
            typeof p === 'string' ? p : `${options[p.n % Math.max(1, options.length)]?.long ?? '--x'}=${p.v}`,
          );
          // Every required positional argument given, so that parsing goes on to the hooks and the (recording) action.
          const operands = leaf.command.registeredArguments.filter((a) => a.required).map(() => 'x');
          try {
            await t.program.parseAsync(['node', 'snagsync', ...leaf.path, ...operands, ...args]);
          } catch (err) {
            if (err instanceof CommanderError || err instanceof SnagError) return;
            throw err;
          }
        },
      ),
      FEW,
    );
  });

  it('the global --database-url, any value, before any command: parsed and hooked without an unexpected exception', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.oneof(dbUrl, word), async (pick, url) => {
        const t = await tree();
        const leaf = t.leaves[pick % t.leaves.length]!;
        const operands = leaf.command.registeredArguments.filter((a) => a.required).map(() => 'x');
        try {
          await t.program.parseAsync(['node', 'snagsync', `--database-url=${url}`, ...leaf.path, ...operands]);
        } catch (err) {
          if (err instanceof CommanderError || err instanceof SnagError) return;
          throw err;
        }
      }),
      FEW,
    );
  });

  it('the store URL parser: a parsed URL or a config SnagError, whatever the password holds', () => {
    fc.assert(
      fc.property(fc.oneof(dbUrl, word), (url) => {
        try {
          parseStoreDatabaseUrl(url);
        } catch (err) {
          if (!(err instanceof SnagError)) throw err;
          expect(err.code).toBe('config');
        }
      }),
      FEW,
    );
  });
});
