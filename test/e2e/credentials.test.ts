import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { last4 } from '../../src/core/redact.js';
import type { CredentialView } from '../../src/credentials/index.js';
import { openStore } from '../../src/store/index.js';
import type { Simulator } from '../../src/sim/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { closedPort, fakeServer, notifierKey, startSmallSim } from '../credentials/helpers.js';
import { runInPty, scriptAvailable } from '../credentials/pty.js';
import { tempDir } from '../store/helpers.js';

/** The compiled CLI (`npm run build` first; `npm test` does it) against the simulator, each test in its own home. */

let sim: Simulator;
beforeAll(async () => {
  sim = await startSmallSim();
});
afterAll(async () => {
  await sim.close();
});

let home: ReturnType<typeof tempDir>;
beforeEach(() => {
  home = tempDir('snagsync-cli-cred-');
});
afterEach(() => {
  sim.setFaults('');
  for (const t of sim.tokens) sim.restoreToken(t.token);
  home.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;
const member = () => sim.tokens.find((t) => t.role === 'member')!;
const cli = (args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> =>
  runCli(['credentials', ...args], {
    env: { SNAGSYNC_HOME: home.dir, ...opts.env },
    ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
  });
const json = <T>(r: CliResult): T => JSON.parse(r.stdout) as T;

describe('snagsync credentials (CLI)', () => {
  it('add --token-stdin prints the credential VERIFIED with its organizations; list --json carries token_last4, never the token', async () => {
    const token = admin().token;
    const r = await cli(
      ['add', '--name', 'Prod', '--description', 'hourly errors', '--host', sim.url, '--token-stdin'],
      { stdin: `${token}\n` },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Saved credential "Prod": VERIFIED');
    const orgs = sim.info().organizations.filter((o) => admin().organizations.includes(o.id));
    for (const o of orgs) expect(r.stdout).toContain(o.name);
    expect(r.stdout).toContain(`…${last4(token)}`);

    const list = await cli(['list', '--json']);
    expect(list.code).toBe(0);
    const views = json<CredentialView[]>(list);
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({
      name: 'Prod',
      token_last4: last4(token),
      verified_status: 'VERIFIED',
      sources_count: 0,
    });
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain('token_envelope');

    const table = await cli(['list']);
    expect(table.stdout).toMatch(/NAME\s+DESCRIPTION\s+HOST\s+TOKEN\s+STATUS\s+CHECKED\s+ORGANIZATIONS\s+SOURCES/);
    expect(table.stdout).toContain(`…${last4(token)}`);
    expect(table.stdout).toContain('VERIFIED');
  });

  it('add --token-env VAR --json; show and test by name in any case', async () => {
    const token = member().token;
    const r = await cli(['add', '--name', 'Member', '--host', sim.url, '--token-env', 'MY_BUGSNAG_TOKEN', '--json'], {
      env: { MY_BUGSNAG_TOKEN: token },
    });
    expect(r.code, r.stderr).toBe(0);
    const view = json<CredentialView>(r);
    expect(view.verified_status).toBe('VERIFIED');
    expect(view.organizations.map((o) => o.id)).toEqual(member().organizations);
    expect(view.rate_limit?.limit).toBe(1_000_000);

    const show = await cli(['show', 'member', '--json']);
    expect(json<CredentialView>(show).id).toBe(view.id);
    const test = await cli(['test', 'MEMBER', '--json']);
    expect(test.code, test.stderr).toBe(0);
    expect(json<{ ok: boolean; latency_ms: number; organizations: unknown[] }>(test)).toMatchObject({
      ok: true,
      verified_status: 'VERIFIED',
      latency_ms: expect.any(Number),
      organizations: view.organizations,
      credential: { id: view.id, verified_status: 'VERIFIED' },
    });
    const human = await cli(['test', view.id]);
    expect(human.stdout).toMatch(/Member: VERIFIED in \d+ ms/);
  });

  it('says which API host it chose for a pasted dashboard URL, and what it removed from the token', async () => {
    const r = await cli(
      [
        'add',
        '--name',
        'dash',
        '--host',
        'https://app.bugsnag.com/acme/web/errors?x=1',
        '--no-verify',
        '--token-stdin',
        '--json',
      ],
      {
        stdin: '"token some-token-abcd"\n',
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('That is the dashboard address; using its API host https://api.bugsnag.com.');
    expect(r.stderr).toContain('Removed the quotes around it and the "token " prefix from the token you gave.');
    expect(r.stderr).toContain('Saved without checking');
    expect(json<CredentialView>(r)).toMatchObject({
      host: 'https://api.bugsnag.com',
      token_last4: 'abcd',
      verified_status: 'UNVERIFIED',
    });
  });

  it('refuses --token VALUE with exit 2, saying why and what to use instead, without echoing the value', async () => {
    const secret = 'typed-on-the-command-line-0001';
    for (const args of [['--token', secret], [`--token=${secret}`]]) {
      const r = await cli(['add', '--name', 'x', '--host', sim.url, ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--token is not accepted');
      expect(r.stderr).toContain('shell history');
      expect(r.stderr).toContain('`ps`');
      expect(r.stderr).toContain('--token-stdin');
      expect(r.stderr).toContain('--token-env');
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
    const j = await cli(['update', 'x', '--token', secret, '--json']);
    expect(j.code).toBe(2);
    expect(json<{ error: string; exit_code: number }>(j)).toMatchObject({ error: 'usage', exit_code: 2 });
    expect((await cli(['list', '--json'])).stdout.trim()).toBe('[]');
  });

  it('without a token option and without a terminal: a clear usage error (exit 2)', async () => {
    const r = await cli(['add', '--name', 'x', '--host', sim.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('No token given');
    const n = await cli(['add', '--token-stdin'], { stdin: admin().token });
    expect(n.code).toBe(2);
    expect(n.stderr).toContain('--name is required');
    const e = await cli(['add', '--name', 'x', '--token-env', 'NOT_SET_ANYWHERE']);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('NOT_SET_ANYWHERE is not set');
  });

  it('gives each failure its own message and exit code', async () => {
    const html = await fakeServer(200, '<html><body>Log in</body></html>', 'text/html');
    try {
      const add = (name: string, token: string, host: string) =>
        cli(['add', '--name', name, '--host', host, '--token-stdin', '--json'], { stdin: token });
      const cases: Array<[string, () => Promise<CliResult>, number, string, string | null]> = [
        ['bad token', () => add('a', 'c0ffee00-1111-4222-a333-444455556666', sim.url), 10, 'auth_invalid', 'token'],
        ['notifier key', () => add('b', notifierKey(sim), sim.url), 21, 'auth_project_key', 'token'],
        ['unreachable', async () => add('c', admin().token, await closedPort()), 18, 'network', 'host'],
        ['not bugsnag', () => add('d', admin().token, html.url), 20, 'not_bugsnag', 'host'],
        ['plain http', () => add('e', admin().token, 'http://bugsnag.example.com'), 3, 'config', 'host'],
        ['empty token', () => add('f', '\n', sim.url), 3, 'config', 'token'],
        ['bad name', () => add('bad\u0007name', admin().token, sim.url), 3, 'config', 'name'],
        ['missing', () => cli(['show', 'nope', '--json']), 4, 'missing', null],
      ];
      for (const [what, run, exit, code, field] of cases) {
        const r = await run();
        expect(r.code, `${what}: ${r.stderr}`).toBe(exit);
        const body = json<{ error: string; exit_code: number; details?: { field?: string } }>(r);
        expect(body.error, what).toBe(code);
        expect(body.exit_code).toBe(exit);
        if (field) expect(body.details?.field, what).toBe(field);
        expect(r.stderr, what).toMatch(/^snagsync: .+\n.+/s);
      }
      const key = await add('k', notifierKey(sim), sim.url);
      expect(key.stderr).toContain('looks like a project API key');
      expect(key.stderr).toContain('Personal auth tokens → Generate New Token');
      const down = await add('c', admin().token, await closedPort());
      expect(down.stderr).toContain('Host unreachable');
      expect((await cli(['list', '--json'])).stdout.trim()).toBe('[]');

      expect((await add('dup', admin().token, sim.url)).code).toBe(0);
      const dup = await add('DUP', admin().token, sim.url);
      expect(dup.code).toBe(5);
      expect(json<{ details: { field: string } }>(dup).details.field).toBe('name');

      sim.setFaults('429storm:120s');
      const limited = await add('rl', admin().token, sim.url);
      expect(limited.code).toBe(16);
      expect(limited.stderr).toMatch(/try again in \d+ s/);
      sim.setFaults('500:1');
      expect((await add('se', admin().token, sim.url)).code).toBe(17);
    } finally {
      await html.close();
    }
  });

  it('test on a revoked token: exit 22 and FAILED recorded', async () => {
    const token = admin().token;
    expect((await cli(['add', '--name', 'rev', '--host', sim.url, '--token-stdin'], { stdin: token })).code).toBe(0);
    sim.revokeToken(token);
    const r = await cli(['test', 'rev', '--json']);
    expect(r.code).toBe(22);
    const body = json<{ error: string; details: { field: string; credential: { verified_status: string } } }>(r);
    expect(body.error).toBe('auth_revoked');
    expect(body.details.field).toBe('token');
    expect(body.details.credential.verified_status).toBe('FAILED');
    expect(r.stderr).toContain('snagsync credentials update "rev" --token-stdin');
    const show = json<CredentialView>(await cli(['show', 'rev', '--json']));
    expect(show.verified_status).toBe('FAILED');
    expect(show.verify_error?.error).toBe('auth_revoked');
  });

  it('update: a bad new token keeps the old one (exit 10); a good one replaces it; rename', async () => {
    expect((await cli(['add', '--name', 'u', '--host', sim.url, '--token-stdin'], { stdin: admin().token })).code).toBe(
      0,
    );
    const bad = await cli(['update', 'u', '--token-stdin'], { stdin: 'not-a-real-token-9999' });
    expect(bad.code).toBe(10);
    expect(json<CredentialView>(await cli(['show', 'u', '--json'])).token_last4).toBe(last4(admin().token));
    const good = await cli(['update', 'u', '--token-stdin', '--name', 'renamed', '--json'], { stdin: member().token });
    expect(good.code, good.stderr).toBe(0);
    expect(json<CredentialView>(good)).toMatchObject({
      name: 'renamed',
      token_last4: last4(member().token),
      verified_status: 'VERIFIED',
    });
    const none = await cli(['update', 'renamed']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Nothing to update');
  });

  it('remove: refused while a source uses it (exit 5), --force disables the source', async () => {
    const add = await cli(['add', '--name', 'used', '--host', sim.url, '--token-stdin', '--json'], {
      stdin: admin().token,
    });
    const id = json<CredentialView>(add).id;
    const store = openStore({ home: home.dir });
    try {
      const source = await store.sources.create({
        name: 'nightly',
        credential_id: id,
        destination: 'sqlite:/tmp/never-written.db',
      });
      expect(json<CredentialView[]>(await cli(['list', '--json']))[0]!.sources_count).toBe(1);
      const refused = await cli(['remove', 'used']);
      expect(refused.code).toBe(5);
      expect(refused.stderr).toContain('"nightly"');
      expect(refused.stderr).toContain('--force');
      const forced = await cli(['remove', 'used', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain('Disabled 1 source(s) that used it: "nightly"');
      expect((await store.sources.get(source.id))?.status).toBe('disabled');
      expect((await cli(['list', '--json'])).stdout.trim()).toBe('[]');
    } finally {
      await store.close();
    }
  });

  it('rotate-key re-encrypts the stored tokens; they still work', async () => {
    expect((await cli(['add', '--name', 'a', '--host', sim.url, '--token-stdin'], { stdin: admin().token })).code).toBe(
      0,
    );
    const r = await cli(['rotate-key', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json<{ resealed: number; newKeyId: string }>(r).resealed).toBe(1);
    expect((await cli(['test', 'a'])).code).toBe(0);
  });

  it.skipIf(!scriptAvailable())(
    'prompts for the name and, hidden, for the token on a terminal (nothing echoed)',
    async () => {
      const token = member().token;
      const r = await runInPty(
        ['credentials', 'add', '--host', sim.url],
        [
          { waitFor: 'Credential Name: ', type: 'Typed in a terminal\r' },
          { waitFor: 'Auth Token (hidden): ', type: `${token}\r` },
        ],
        { SNAGSYNC_HOME: home.dir },
      );
      expect(r.code, r.output).toBe(0);
      expect(r.output).toContain('Typed in a terminal'); // the name is echoed as typed
      expect(r.output).toContain('Saved credential "Typed in a terminal": VERIFIED');
      expect(r.output).not.toContain(token);
      expect(r.output).not.toContain(token.slice(0, 8));
    },
  );

  it.skipIf(!scriptAvailable())('Ctrl-C at the name prompt cancels (exit 130)', async () => {
    const r = await runInPty(
      ['credentials', 'add', '--host', sim.url],
      [{ waitFor: 'Credential Name: ', type: 'half\u0003' }],
      {
        SNAGSYNC_HOME: home.dir,
      },
    );
    expect(r.code, r.output).toBe(130);
    expect(r.output).toContain('Cancelled');
  });

  it.skipIf(!scriptAvailable())('Ctrl-C at the hidden prompt cancels (exit 130) and saves nothing', async () => {
    const r = await runInPty(
      ['credentials', 'add', '--name', 'x', '--host', sim.url],
      [{ waitFor: 'Auth Token (hidden): ', type: 'half-typed\u0003' }],
      { SNAGSYNC_HOME: home.dir },
    );
    expect(r.code).toBe(130);
    expect(r.output).not.toContain('half-typed');
    expect((await cli(['list', '--json'])).stdout.trim()).toBe('[]');
  });
});
