import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { closedPort, fakeServer, notifierKey, startSmallSim, type FakeServer } from '../credentials/helpers.js';
import { tempDir } from '../store/helpers.js';

/**
 * Every secret that goes through `snagsync credentials …` — good tokens, a bad token, a project API key, a token
 * typed on the command line by mistake — is looked for in everything snagsync wrote: stdout and stderr of every
 * command (debug logging on), the raw database file, its WAL and shared-memory files, and every other file in the
 * home. The test keeps its own connection to the database open, so the WAL is not checkpointed away before it is
 * read.
 */

let sim: Simulator;
let html: FakeServer;
let home: ReturnType<typeof tempDir>;
let store: Store;
const outputs: Array<{ args: string; r: CliResult }> = [];

beforeAll(async () => {
  sim = await startSmallSim();
  html = await fakeServer(200, '<html>portal</html>', 'text/html');
  home = tempDir('snagsync-leak-');
  store = openStore({ home: home.dir });
});
afterAll(async () => {
  await store.close();
  await html.close();
  await sim.close();
  home.cleanup();
});

async function cli(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const r = await runCli(['credentials', ...args], {
    env: { SNAGSYNC_HOME: home.dir, SNAGSYNC_LOG_LEVEL: 'debug', ...opts.env },
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
  outputs.push({ args: args.join(' '), r });
  return r;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('no secret leaks from the credentials commands', () => {
  it('keeps every token out of output, logs, the database, its WAL and every file in the home', async () => {
    const admin = sim.tokens.find((t) => t.role === 'admin')!.token;
    const member = sim.tokens.find((t) => t.role === 'member')!.token;
    const bad = 'b4d70ken-5eed-4bad-abad-leakyleaky01';
    const onArgv = 'argv-token-typed-by-mistake-7777';
    const key = notifierKey(sim);
    const secrets = { admin, member, bad, onArgv, key };

    const ok = (r: CliResult) => expect(r.code, `${r.stderr}`).toBe(0);
    ok(
      await cli(['add', '--name', 'Leak Test Prod', '--host', sim.url, '--token-stdin'], {
        stdin: `Bearer ${admin}\n`,
      }),
    );
    ok(
      await cli(['add', '--name', 'Member', '--host', sim.url, '--token-env', 'T', '--json'], {
        env: { T: `"${member}"` },
      }),
    );
    ok(await cli(['list']));
    ok(await cli(['list', '--json']));
    ok(await cli(['show', 'leak test prod']));
    ok(await cli(['show', 'Member', '--json']));
    ok(await cli(['test', 'Member']));
    ok(await cli(['test', 'Member', '--json']));
    // Failure paths.
    expect((await cli(['add', '--name', 'Bad', '--host', sim.url, '--token-stdin'], { stdin: bad })).code).toBe(10);
    expect(
      (await cli(['add', '--name', 'Bad', '--host', sim.url, '--token-stdin', '--json'], { stdin: `token ${bad}` }))
        .code,
    ).toBe(10);
    expect((await cli(['add', '--name', 'Key', '--host', sim.url, '--token-stdin'], { stdin: key })).code).toBe(21);
    expect((await cli(['add', '--name', 'Argv', '--host', sim.url, '--token', onArgv])).code).toBe(2);
    expect((await cli(['add', '--name', 'Argv', '--host', sim.url, `--token=${onArgv}`, '--json'])).code).toBe(2);
    expect(
      (await cli(['add', '--name', 'Down', '--host', await closedPort(), '--token-stdin'], { stdin: admin })).code,
    ).toBe(18);
    expect(
      (await cli(['add', '--name', 'Html', '--host', html.url, '--token-stdin', '--json'], { stdin: admin })).code,
    ).toBe(20);
    expect((await cli(['update', 'Member', '--token-stdin'], { stdin: bad })).code).toBe(10);
    ok(await cli(['update', 'Member', '--token-stdin', '--description', 'now the admin token'], { stdin: admin }));
    ok(await cli(['update', 'Leak Test Prod', '--token-env', 'T', '--json'], { env: { T: member } }));
    ok(await cli(['add', '--name', 'Unchecked', '--no-verify', '--token-stdin'], { stdin: bad }));
    sim.revokeToken(member);
    expect((await cli(['test', 'Leak Test Prod'])).code).toBe(22);
    expect((await cli(['test', 'Leak Test Prod', '--json'])).code).toBe(22);
    sim.restoreToken(member);
    ok(await cli(['rotate-key']));
    ok(await cli(['test', 'Leak Test Prod', '--json']));
    const id = (JSON.parse((await cli(['show', 'Member', '--json'])).stdout) as { id: string }).id;
    await store.sources.create({ name: 'uses member', credential_id: id, destination: 'sqlite:/tmp/never-written.db' });
    expect((await cli(['remove', 'Member'])).code).toBe(5);
    ok(await cli(['remove', 'Member', '--force', '--json']));
    ok(await cli(['remove', 'Unchecked']));

    // The test can see what it claims to check: debug logs were written, and the WAL holds the data written.
    const allStderr = outputs.map((o) => o.r.stderr).join('\n');
    expect(allStderr).toContain('"msg":"bugsnag request"');
    expect(allStderr).toContain('"msg":"credential created"');
    const wal = join(home.dir, 'snagsync.db-wal');
    expect(existsSync(wal)).toBe(true);
    const files = filesUnder(home.dir);
    const everything = Buffer.concat(files.map((f) => readFileSync(f)));
    expect(everything.includes(Buffer.from('Leak Test Prod'))).toBe(true);
    expect(
      everything.includes(Buffer.from(`…${admin.slice(-4)}`)) || everything.includes(Buffer.from(admin.slice(-4))),
    ).toBe(true);

    for (const [what, secret] of Object.entries(secrets)) {
      for (const { args, r } of outputs) {
        expect(r.stdout.includes(secret), `${what} in stdout of "${args}"`).toBe(false);
        expect(r.stderr.includes(secret), `${what} in stderr of "${args}"`).toBe(false);
      }
      for (const f of files) {
        const bytes = readFileSync(f);
        expect(bytes.includes(Buffer.from(secret)), `${what} in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(secret, 'utf16le')), `${what} (UTF-16) in ${f}`).toBe(false);
        expect(bytes.includes(Buffer.from(Buffer.from(secret).toString('base64'))), `${what} (base64) in ${f}`).toBe(
          false,
        );
      }
    }
  });
});
