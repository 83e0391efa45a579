import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { BIN } from '../helpers/cli.js';

/**
 * The shell examples of the README and docs/ that are marked `<!-- runnable -->` (on the line before a ```sh fence)
 * run, in order, with the compiled CLI (`npm run build` first), against a simulator this test starts and a throwaway
 * snagsync home per document; every one must exit 0. They find the simulator in `SIM_URL` and its admin token in
 * `SIM_TOKEN`, as a reader who started `npx snagsync sim` would set them, and may reach nothing else.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MARKER = '<!-- runnable -->';

interface Example {
  line: number;
  code: string;
}

/** The runnable blocks of a Markdown text: a marker line, then a ```sh fence on the next non-blank line. */
function runnableExamples(markdown: string): Example[] {
  const lines = markdown.split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== MARKER) continue;
    let j = i + 1;
    while (j < lines.length && lines[j]!.trim() === '') j++;
    if (!/^```(sh|bash|shell)\s*$/.test(lines[j] ?? ''))
      throw new Error(`line ${i + 1}: ${MARKER} must be followed by a \`\`\`sh block`);
    const end = lines.findIndex((l, k) => k > j && l.startsWith('```'));
    if (end < 0) throw new Error(`line ${j + 1}: the block never ends`);
    out.push({ line: j + 1, code: lines.slice(j + 1, end).join('\n') });
    i = end;
  }
  return out;
}

/** Why a block may not run here: it would reach a host other than the simulator, or need a terminal. */
function reasonNotRunnable(code: string): string | null {
  const urls = code.match(/\bhttps?:\/\/[^\s"')]+/g) ?? [];
  const far = urls.filter((u) => !/^https?:\/\/(127\.0\.0\.1|localhost)(:|\/|$)/.test(u));
  if (far.length) return `it reaches ${far.join(', ')}`;
  for (const line of code.split('\n')) {
    const cmd = line.replace(/#.*$/, '');
    if (/\bcredentials (add|update)\b/.test(cmd) && !/--host "\$SIM_URL"/.test(cmd) && /--(token|host)/.test(cmd)) {
      return `"${line.trim()}" must point at the simulator with --host "$SIM_URL"`;
    }
    if (/\bcredentials add\b/.test(cmd) && !/--token-(env|stdin)/.test(cmd))
      return `"${line.trim()}" would prompt for the token`;
    if (/\b(sim|serve|schedule daemon)\b/.test(cmd) && /\bsnagsync (sim|serve|schedule daemon)\b/.test(cmd))
      return `"${line.trim()}" runs until stopped`;
  }
  return null;
}

const PRELUDE = `
snagsync() { node "$SNAGSYNC_BIN" "$@"; }
npx() { if [ "$1" = snagsync ]; then shift; snagsync "$@"; else echo "doc examples run only npx snagsync" >&2; return 127; fi; }
`;

function runBlock(code: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', `${PRELUDE}\n${code}\n`], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ code: status, out });
    });
  });
}

const documents = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];
const examples = documents.map((doc) => ({ doc, examples: runnableExamples(readFileSync(join(ROOT, doc), 'utf8')) }));

describe('the marker and its guards', () => {
  it('finds marked blocks only', () => {
    const md = [
      '```sh',
      'not marked',
      '```',
      '',
      MARKER,
      '',
      '```sh',
      'echo one',
      'echo two',
      '```',
      '```sh',
      'not marked',
      '```',
    ].join('\n');
    expect(runnableExamples(md)).toEqual([{ line: 7, code: 'echo one\necho two' }]);
    expect(() => runnableExamples(`${MARKER}\n\`\`\`ts\nx\n\`\`\``)).toThrow(/must be followed/);
  });

  it('refuses blocks that would leave the machine, prompt, or never end', () => {
    expect(reasonNotRunnable('snagsync credentials add --name x --token-env T')).toMatch(/--host/);
    expect(reasonNotRunnable('snagsync credentials add --name x')).toMatch(/prompt/);
    expect(reasonNotRunnable('curl https://api.bugsnag.com/user/organizations')).toMatch(/reaches/);
    expect(reasonNotRunnable('npx snagsync sim --json')).toMatch(/until stopped/);
    expect(
      reasonNotRunnable('snagsync credentials add --name x --host "$SIM_URL" --token-env SIM_TOKEN\nsnagsync sync x'),
    ).toBeNull();
  });

  it('the README marks a representative set', () => {
    const readme = examples
      .find((e) => e.doc === 'README.md')!
      .examples.map((e) => e.code)
      .join('\n');
    for (const cmd of [
      'snagsync --help',
      'snagsync credentials add',
      '--token-env',
      'snagsync sources create',
      'snagsync sync',
      'snagsync runs list',
      'snagsync streams',
    ]) {
      expect(readme).toContain(cmd);
    }
  });
});

let sim: Simulator;
let scratch: string;

beforeAll(async () => {
  sim = await startSimulator({
    seed: 5,
    orgs: 1,
    projects: 2,
    errors: 8,
    events: 120,
    releases: 3,
    rateLimit: 1_000_000,
  });
  scratch = mkdtempSync(join(tmpdir(), 'snagsync-doc-examples-'));
});

afterAll(async () => {
  await sim?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

for (const { doc, examples: blocks } of examples.filter((e) => e.examples.length > 0)) {
  describe(doc, () => {
    let cwd: string;
    let env: NodeJS.ProcessEnv;
    beforeAll(() => {
      const dir = join(scratch, doc.replace(/[^\w.-]/g, '_'));
      cwd = join(dir, 'work');
      mkdirSync(cwd, { recursive: true });
      const { SNAGSYNC_MASTER_KEY: _k, SNAGSYNC_SERVER_KEY: _s, ...rest } = process.env;
      env = {
        ...rest,
        HOME: dir,
        SNAGSYNC_HOME: join(dir, 'home'),
        SNAGSYNC_BIN: BIN,
        SNAGSYNC_PROGRESS: 'none',
        NO_COLOR: '1',
        SIM_URL: sim.url,
        SIM_TOKEN: sim.tokens.find((t) => t.role === 'admin')!.token,
      };
    });

    for (const block of blocks) {
      it(`line ${block.line}: ${block.code.split('\n')[0]}`, async () => {
        expect(reasonNotRunnable(block.code)).toBeNull();
        const before = sim.stats();
        const res = await runBlock(block.code, cwd, env);
        expect(res.code, res.out).toBe(0);
        // Blocks that talk to Bugsnag talked to the simulator.
        if (/\b(credentials (add|test)|sync|preview)\b/.test(block.code)) expect(sim.stats()).not.toEqual(before);
      }, 180_000);
    }
  });
}
