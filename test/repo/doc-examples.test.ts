import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim/index.js';
import { BIN } from '../helpers/cli.js';

/**
 * The shell examples of the README and docs/ that are marked `<!-- runnable -->` (on the line before a ```sh fence)
 * run, in order, with the compiled CLI (`npm run build` first), against a simulator this test starts and a throwaway
 * snagsync home per document; every one must exit 0 and do what it shows (see effectProblems: a sync syncs records, a
 * write-back selects rows, a list or a query prints something). They find the simulator in `SIM_URL` and its admin
 * token in `SIM_TOKEN`, as a reader who started `npx snagsync sim` would set them, and may reach nothing else.
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

/** Each call of snagsync and sqlite3 leaves its arguments and stdout in $DOC_CALLS, for effectProblems. */
const PRELUDE = `
doc_call() { f="$DOC_CALLS/$(date +%s%N)-$RANDOM"; printf '%s\\0' "$@" > "$f.args"; printf '%s' "$f"; }
snagsync() { local f; f=$(doc_call snagsync "$@"); node "$SNAGSYNC_BIN" "$@" | tee "$f.out"; }
sqlite3() { local f; f=$(doc_call sqlite3 "$@"); command sqlite3 "$@" | tee "$f.out"; }
npx() { if [ "$1" = snagsync ]; then shift; snagsync "$@"; else echo "doc examples run only npx snagsync" >&2; return 127; fi; }
`;

interface Call {
  argv: string[];
  stdout: string;
}

/** The calls a block made, in order (the files are removed, so the next block starts afresh). */
function takeCalls(dir: string): Call[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.args'))
    .sort();
  return names.map((name) => {
    const base = join(dir, name.slice(0, -'.args'.length));
    const argv = readFileSync(`${base}.args`, 'utf8').split('\0').slice(0, -1);
    const out = `${base}.out`;
    const stdout = existsSync(out) ? readFileSync(out, 'utf8') : '';
    rmSync(`${base}.args`);
    rmSync(out, { force: true });
    return { argv, stdout };
  });
}

function jsonOf(text: string): Record<string, unknown> | null {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/**
 * What a block's calls show but did not do: a first (or full-refresh) sync that synced no record, a write-back whose
 * input selected no row or applied none, a list or a query that printed nothing. `synced` holds the sources synced
 * before, in this document (an incremental sync after them may rightly find nothing new).
 */
function effectProblems(calls: Call[], synced: Set<string>): string[] {
  const problems: string[] = [];
  for (const { argv, stdout } of calls) {
    const shown = argv.join(' ');
    const [tool, ...args] = argv;
    const words = args.filter((a) => !a.startsWith('-'));
    const json = args.includes('--json') ? jsonOf(stdout) : null;
    const count = (pattern: RegExp): number => Number(pattern.exec(stdout)?.[1] ?? 0);
    if (tool === 'sqlite3') {
      if (args.some((a) => /\bselect\b/i.test(a)) && stdout.trim() === '')
        problems.push(`${shown}: the query found no row`);
      continue;
    }
    if (args[0] === 'sync' && args[1] && !args[1].startsWith('-')) {
      const source = args[1];
      const totals = json?.totals as { records_written?: number } | undefined;
      const records = json ? (totals?.records_written ?? 0) : count(/^total\s+(\d+)/m);
      if (records === 0 && (!synced.has(source) || args.includes('--full-refresh')))
        problems.push(`${shown}: synced no record`);
      synced.add(source);
    } else if (args[0] === 'writeback' && args[1] === 'plan') {
      const rows = json ? Number(json.rows ?? 0) : count(/: (\d+) rows?,/);
      if (rows === 0) problems.push(`${shown}: the input selected no row`);
    } else if (args[0] === 'writeback' && args[1] === 'apply') {
      const totals = json?.totals as { applied?: number } | undefined;
      const applied = json ? (totals?.applied ?? 0) : count(/: (\d+) applied/);
      if (applied === 0) problems.push(`${shown}: applied no row`);
    } else if (words[1] === 'list' || (words[0] === 'runs' && words.length === 1)) {
      const empty = json ? Array.isArray(json) && json.length === 0 : stdout.trim().split('\n').length < 2;
      if (empty) problems.push(`${shown}: listed nothing`);
    }
  }
  return problems;
}

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

  it('an example that does nothing fails', () => {
    const call = (line: string, stdout: string) => ({ argv: ['snagsync', ...line.split(' ')], stdout });
    const synced = new Set<string>();
    expect(
      effectProblems(
        [
          call(
            'writeback plan --credential sim --from q',
            'Write-back plan with sim: 0 rows, 0 write requests (0 reads made to plan it).\n',
          ),
          call('writeback plan --credential sim --json --from q', '{"rows":0,"groups":[]}'),
          call(
            'writeback apply --credential sim --from q --yes',
            'Write-back wbj_1 (attempt 1): 0 applied, 3 skipped, 0 failed; 0 write requests.\n',
          ),
          call('sync demo', 'STREAM  PARTITIONS  RECORDS\ntotal  0  0  1  1  -\n'),
          call('sync demo', 'STREAM  PARTITIONS  RECORDS\ntotal  0  0  1  1  -\n'),
          call('sync demo --full-refresh', 'STREAM  PARTITIONS  RECORDS\ntotal  0  0  1  1  -\n'),
          call('runs list --source demo', 'No runs yet.\n'),
          { argv: ['sqlite3', 'x.db', 'SELECT 1 WHERE 0'], stdout: '' },
        ],
        synced,
      ),
    ).toEqual([
      'snagsync writeback plan --credential sim --from q: the input selected no row',
      'snagsync writeback plan --credential sim --json --from q: the input selected no row',
      'snagsync writeback apply --credential sim --from q --yes: applied no row',
      'snagsync sync demo: synced no record',
      'snagsync sync demo --full-refresh: synced no record',
      'snagsync runs list --source demo: listed nothing',
      'sqlite3 x.db SELECT 1 WHERE 0: the query found no row',
    ]);
    expect(
      effectProblems(
        [
          call(
            'writeback plan --credential sim --from q',
            'Write-back plan with sim: 3 rows, 1 write request (3 reads made to plan it).\n',
          ),
          call('sync other', 'STREAM  PARTITIONS  RECORDS\ntotal  3  150  1  1  -\n'),
          call('runs list --source demo', 'RUN  SOURCE\nrun_1  demo\n'),
        ],
        new Set(),
      ),
    ).toEqual([]);
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

describe("README's library taste", () => {
  it('lists the organizations and projects of the host it is given', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## A taste of the library'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain("from 'snagsync/client'");
    const file = join(scratch, 'library-taste.mts');
    const client = new URL('../../dist/client.js', import.meta.url).href;
    writeFileSync(file, code!.replace("'snagsync/client'", `'${client}'`));
    const tsx = join(ROOT, 'node_modules/.bin/tsx');
    const child = spawn(tsx, [file], {
      env: { ...process.env, BUGSNAG_TOKEN: sim.tokens.find((t) => t.role === 'admin')!.token, BUGSNAG_HOST: sim.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(status, out).toBe(0);
    // One line per project: "Org / Project".
    expect(out.trim().split('\n')).toHaveLength(2);
    expect(out).toMatch(/^\S.* \/ \S/m);
  }, 60_000);
});

for (const { doc, examples: blocks } of examples.filter((e) => e.examples.length > 0)) {
  describe(doc, () => {
    let cwd: string;
    let env: NodeJS.ProcessEnv;
    let calls: string;
    const synced = new Set<string>();
    beforeAll(() => {
      const dir = join(scratch, doc.replace(/[^\w.-]/g, '_'));
      cwd = join(dir, 'work');
      calls = join(dir, 'calls');
      mkdirSync(cwd, { recursive: true });
      mkdirSync(calls, { recursive: true });
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
        DOC_CALLS: calls,
      };
    });

    for (const block of blocks) {
      it(`line ${block.line}: ${block.code.split('\n')[0]}`, async () => {
        expect(reasonNotRunnable(block.code)).toBeNull();
        const before = sim.stats();
        const res = await runBlock(block.code, cwd, env);
        expect(res.code, res.out).toBe(0);
        // It did what it shows: records synced, rows selected, something listed.
        expect(effectProblems(takeCalls(calls), synced), res.out).toEqual([]);
        // Blocks that talk to Bugsnag talked to the simulator.
        if (/\b(credentials (add|test)|sync|preview)\b/.test(block.code)) expect(sim.stats()).not.toEqual(before);
      }, 180_000);
    }
  });
}
