import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { buildProgram, loadCommand } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/output.js';

/** Every command's help ends with Examples of that command, and names each option's default once. */
async function leaves(): Promise<Array<{ path: string; command: Command; help: () => string }>> {
  let out = '';
  const stdout = new PassThrough();
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  const io: Io = { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {} };
  const program = buildProgram(io);
  const found: Array<{ path: string; command: Command; help: () => string }> = [];
  for (const spec of COMMANDS) {
    const walk = (c: Command, path: string) => {
      if (c.commands.length === 0)
        found.push({
          path,
          command: c,
          help: () => {
            out = '';
            c.outputHelp();
            return out;
          },
        });
      for (const sub of c.commands) walk(sub, `${path} ${sub.name()}`);
    };
    walk(await loadCommand(program, spec, io, () => undefined), spec.name);
  }
  return found;
}

describe('command help', () => {
  it('every command has an Examples section that runs that command', async () => {
    const all = await leaves();
    expect(all.length).toBeGreaterThan(40);
    const missing = all.filter(({ path, help }) => !help().includes(`\nExamples:\n  snagsync ${path}`));
    expect(missing.map((m) => m.path)).toEqual([]);
  });

  it('each default is printed once', async () => {
    const twice = (await leaves()).flatMap(({ path, help }) =>
      help()
        .split('\n')
        .filter((l) => (l.match(/\bdefault\b/gi) ?? []).length > 1)
        .map((l) => `${path}: ${l.trim()}`),
    );
    expect(twice).toEqual([]);
  });
});
