import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { last4 } from '../../src/core/redact.js';
import { SnagError } from '../../src/core/errors.js';
import { recordTokenRejected } from '../../src/credentials/service.js';
import { encodeMasterKey, generateMasterKey } from '../../src/credentials/vault.js';
import type { Simulator } from '../../src/sim/index.js';
import {
  closedPort,
  fakeServer,
  harness,
  notifierKey,
  rejection,
  selfSignedServer,
  startSmallSim,
  type Harness,
} from './helpers.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSmallSim();
});
afterAll(async () => {
  await sim.close();
});

let h: Harness;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  sim.setFaults('');
  for (const t of sim.tokens) sim.restoreToken(t.token);
  await h.cleanup();
});

const admin = () => sim.tokens.find((t) => t.role === 'admin')!;
const member = () => sim.tokens.find((t) => t.role === 'member')!;
const multi = () => sim.tokens.find((t) => t.role === 'multi-org')!;

describe('createCredential', () => {
  it('verifies a valid token: VERIFIED, the organizations it reaches, the rate limit seen; only the last four characters are kept in view', async () => {
    const token = admin().token;
    const r = await h.service.createCredential({ name: 'Prod', description: 'hourly errors', token, host: sim.url });
    const c = r.credential;
    expect(c.verified_status).toBe('VERIFIED');
    expect(c.verified_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(c.organizations.map((o) => o.id).sort()).toEqual([...admin().organizations].sort());
    expect(c.organizations[0]!.name).toBeTruthy();
    expect(c.organizations[0]!.slug).toBeTruthy();
    expect(c.rate_limit).toMatchObject({ limit: 1_000_000 });
    expect(typeof c.rate_limit?.remaining).toBe('number');
    expect(c.token_last4).toBe(last4(token));
    expect(c.connector).toBe('bugsnag');
    expect(c.host).toBe(sim.url);
    expect(c.sources_count).toBe(0);
    expect(c.verify_error).toBeNull();
    expect(r.verification?.latency_ms).toBeGreaterThanOrEqual(0);
    expect(Object.keys(c).sort()).toEqual(
      [
        'id',
        'name',
        'description',
        'connector',
        'host',
        'token_last4',
        'verified_status',
        'verified_at',
        'verify_error',
        'organizations',
        'rate_limit',
        'sources_count',
        'created_at',
        'updated_at',
      ].sort(),
    );
    expect(JSON.stringify(r)).not.toContain(token);
    expect(JSON.stringify(await h.service.listCredentials())).not.toContain(token);
    // Stored sealed, and opens again for the sync engine.
    expect(await h.service.resolveToken('prod')).toBe(token);
  });

  it('records one organization for a member token and every organization for a multi-org token', async () => {
    const m = await h.service.createCredential({ name: 'member', token: member().token, host: sim.url });
    expect(m.credential.organizations.map((o) => o.id)).toEqual(member().organizations);
    const x = await h.service.createCredential({ name: 'multi', token: multi().token, host: sim.url });
    expect(x.credential.organizations).toHaveLength(2);
    expect(x.credential.organizations.map((o) => o.id).sort()).toEqual([...multi().organizations].sort());
  });

  it('refuses an invalid token (auth_invalid, on the token field) and saves nothing', async () => {
    const e = await rejection(
      h.service.createCredential({ name: 'bad', token: 'a1b2c3d4-0000-4000-a000-deadbeefcafe', host: sim.url }),
    );
    expect(e.code).toBe('auth_invalid');
    expect(e.exitCode).toBe(10);
    expect(e.details.field).toBe('token');
    expect(e.message).toContain('not a valid Personal Auth Token');
    expect(e.hint).toContain('Personal auth tokens');
    expect(await h.service.listCredentials()).toEqual([]);
  });

  it('says a project notifier API key is not a Personal Auth Token (auth_project_key)', async () => {
    const key = notifierKey(sim);
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    const e = await rejection(h.service.createCredential({ name: 'key', token: key, host: sim.url }));
    expect(e.code).toBe('auth_project_key');
    expect(e.exitCode).toBe(21);
    expect(e.details.field).toBe('token');
    expect(e.message).toContain('looks like a project API key');
    expect(e.message).toContain('Project settings');
    expect(e.hint).toContain('My account settings → Personal auth tokens → Generate New Token');
    expect(JSON.stringify(e.toJSON())).not.toContain(key);
  });

  it('reports an unreachable host (network, on the host field)', async () => {
    const host = await closedPort();
    const e = await rejection(h.service.createCredential({ name: 'x', token: admin().token, host }));
    expect(e.code).toBe('network');
    expect(e.exitCode).toBe(18);
    expect(e.details.field).toBe('host');
    expect(e.message).toContain('Host unreachable');
    expect(e.message).toContain(host);
    expect(e.message).toContain('connection refused');
    // An on-premise API under a path is named with its path.
    const prefixed = await rejection(
      h.service.createCredential({ name: 'x', token: admin().token, host: `${host}/bugsnag-api/` }),
    );
    expect(prefixed.message).toContain(`${host}/bugsnag-api`);
  });

  it('reports a certificate the client cannot trust (tls, on the host field)', async (t) => {
    const server = await selfSignedServer();
    if (!server) return t.skip('the openssl CLI is not installed');
    try {
      const e = await rejection(h.service.createCredential({ name: 'x', token: admin().token, host: server.url }));
      expect(e.code).toBe('tls');
      expect(e.exitCode).toBe(19);
      expect(e.details.field).toBe('host');
      expect(e.message).toContain('self-signed');
      expect(e.hint).toContain('NODE_EXTRA_CA_CERTS');
    } finally {
      await server.close();
    }
  });

  it('reports a host that is not the Bugsnag API: an HTML page, JSON of another shape, an unrouted 404', async () => {
    const cases = [
      await fakeServer(200, '<!doctype html><html><body>Sign in</body></html>', 'text/html'),
      await fakeServer(200, '{"hello":"world"}', 'application/json'),
      await fakeServer(404, '{"status":404,"error":"Not Found"}', 'application/json'),
    ];
    try {
      for (const server of cases) {
        const e = await rejection(h.service.createCredential({ name: 'x', token: admin().token, host: server.url }));
        expect(e.code, server.url).toBe('not_bugsnag');
        expect(e.exitCode).toBe(20);
        expect(e.details.field).toBe('host');
        expect(e.message).toContain('not like the Bugsnag Data Access API');
        expect(server.requests.length).toBeGreaterThan(0);
      }
      expect(
        (await rejection(h.service.createCredential({ name: 'x', token: admin().token, host: cases[0]!.url }))).message,
      ).toContain('HTML page');
    } finally {
      for (const s of cases) await s.close();
    }
  });

  it('reports a rate limit at once, with when to try again, without waiting it out', async () => {
    sim.setFaults('429storm:120s');
    const started = Date.now();
    const e = await rejection(h.service.createCredential({ name: 'x', token: admin().token, host: sim.url }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(e.code).toBe('rate_limited');
    expect(e.exitCode).toBe(16);
    expect(e.details.field).toBeUndefined();
    expect(e.message).toMatch(/try again in \d+ s/);
  });

  it('reports a Bugsnag server error (server_error) after one quick retry', async () => {
    sim.setFaults('500:1');
    const e = await rejection(h.service.createCredential({ name: 'x', token: admin().token, host: sim.url }));
    expect(e.code).toBe('server_error');
    expect(e.exitCode).toBe(17);
    expect(e.details.attempts).toBe(2);
  });

  it('saves without checking when verify is false: UNVERIFIED, no request made', async () => {
    const before = sim.stats().requests;
    const r = await h.service.createCredential(
      { name: 'later', token: 'anything-goes-1234', host: sim.url },
      { verify: false },
    );
    expect(r.credential.verified_status).toBe('UNVERIFIED');
    expect(r.credential.verified_at).toBeNull();
    expect(r.credential.organizations).toEqual([]);
    expect(r.verification).toBeNull();
    expect(r.credential.token_last4).toBe('1234');
    expect(sim.stats().requests).toBe(before);
  });

  it('strips whitespace, a trailing newline, quotes and a pasted "token " or "Bearer " prefix, and says so', async () => {
    const t = admin().token;
    const a = await h.service.createCredential({ name: 'a', token: `  token ${t}\n`, host: sim.url });
    expect(a.credential.verified_status).toBe('VERIFIED');
    expect(a.notes.join(' ')).toContain('"token " prefix');
    const b = await h.service.createCredential({ name: 'b', token: `Bearer "${t}"\r\n`, host: sim.url });
    expect(b.notes.join(' ')).toContain('"Bearer " prefix');
    expect(b.notes.join(' ')).toContain('quotes');
    const c = await h.service.createCredential({ name: 'c', token: `Authorization: token ${t}`, host: sim.url });
    expect(await h.service.resolveToken(c.credential.id)).toBe(t);
    const d = await h.service.createCredential({ name: 'd', token: `${t}\n`, host: sim.url });
    expect(d.notes).toEqual([]);
    const e = await rejection(h.service.createCredential({ name: 'e', token: 'two words', host: sim.url }));
    expect(e.details.field).toBe('token');
    expect(e.message).toContain('spaces');
    const f = await rejection(h.service.createCredential({ name: 'f', token: ' \n', host: sim.url }));
    expect(f.details.field).toBe('token');
    expect(f.message).toContain('empty');
  });

  it('turns a pasted dashboard URL or bare host into the API host and says what it chose', async () => {
    const a = await h.service.createCredential(
      { name: 'a', token: 'tok-aaaa-1111', host: 'https://app.bugsnag.com/acme/web/errors?filters[x]=1' },
      { verify: false },
    );
    expect(a.credential.host).toBe('https://api.bugsnag.com');
    expect(a.notes.join(' ')).toContain('dashboard address; using its API host https://api.bugsnag.com');
    const b = await h.service.createCredential(
      { name: 'b', token: 'tok-bbbb-2222', host: 'app.bugsnag.smartbear.com' },
      { verify: false },
    );
    expect(b.credential.host).toBe('https://api.bugsnag.smartbear.com');
    const c = await h.service.createCredential({ name: 'c', token: 'tok-cccc-3333' }, { verify: false });
    expect(c.credential.host).toBe('https://api.bugsnag.com');
    const e = await rejection(
      h.service.createCredential(
        { name: 'd', token: 'tok-dddd-4444', host: 'http://bugsnag.example.com' },
        { verify: false },
      ),
    );
    expect(e.code).toBe('config');
    expect(e.details.field).toBe('host');
  });

  it('enforces the name rules before sending the token anywhere (field name)', async () => {
    await h.service.createCredential({ name: 'Équipe', token: admin().token, host: sim.url });
    const before = sim.stats().requests;
    const cases: Array<[string, string, string]> = [
      ['', 'config', 'required'],
      ['   ', 'config', 'required'],
      ['x'.repeat(101), 'config', 'at most 100'],
      ['tab\there', 'config', 'control character'],
      ['ÉQUIPE', 'conflict', 'already exists'],
    ];
    for (const [name, code, text] of cases) {
      const e = await rejection(h.service.createCredential({ name, token: admin().token, host: sim.url }));
      expect(e.code, JSON.stringify(name)).toBe(code);
      expect(e.details.field).toBe('name');
      expect(e.message).toContain(text);
    }
    expect(sim.stats().requests).toBe(before);
    expect(
      (
        await h.service.createCredential(
          { name: 'x'.repeat(100), token: admin().token, host: sim.url },
          { verify: false },
        )
      ).credential.name,
    ).toHaveLength(100);
    const long = await rejection(
      h.service.createCredential(
        { name: 'ok', description: 'd'.repeat(1001), token: 'tok-1234567' },
        { verify: false },
      ),
    );
    expect(long.details.field).toBe('description');
  });

  it('a wrong master key is reported (vault, exit 6) before the token is sent anywhere', async () => {
    await h.service.createCredential({ name: 'first', token: 'tok-first-1111' }, { verify: false });
    const other = harness({ SNAGSYNC_MASTER_KEY: encodeMasterKey(generateMasterKey()) }, h.home);
    try {
      const before = sim.stats().requests;
      const e = await rejection(
        other.service.createCredential({ name: 'second', token: admin().token, host: sim.url }),
      );
      expect(e.code).toBe('vault');
      expect(e.exitCode).toBe(6);
      expect(sim.stats().requests).toBe(before);
      expect((await h.service.listCredentials()).map((c) => c.name)).toEqual(['first']);
    } finally {
      await other.runtime.close();
    }
  });

  it('reports every field problem at once, for a form to show them inline', async () => {
    const e = await rejection(h.service.createCredential({ name: '', token: '', host: 'ftp://example.com' }));
    expect(e.code).toBe('config');
    expect(e.details.field).toBe('name');
    const fields = e.details.fields as Record<string, { message: string }>;
    expect(Object.keys(fields).sort()).toEqual(['host', 'name', 'token']);
    expect(fields.token!.message).toContain('empty');
    expect(fields.host!.message).toContain('https://');
  });
});

describe('testCredential', () => {
  it('probes again: status, organizations, latency, rate limit', async () => {
    const { credential } = await h.service.createCredential({ name: 'p', token: member().token, host: sim.url });
    const r = await h.service.testCredential('P');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.credential.verified_status).toBe('VERIFIED');
    expect(r.verification.organizations.map((o) => o.id)).toEqual(member().organizations);
    expect(r.verification.latency_ms).toBeGreaterThanOrEqual(0);
    expect(r.verification.rate_limit?.limit).toBe(1_000_000);
    expect(r.credential.verified_at! >= credential.verified_at!).toBe(true);
  });

  it('a token revoked after it was verified: auth_revoked, recorded as FAILED; verified again once restored', async () => {
    const token = admin().token;
    await h.service.createCredential({ name: 'r', token, host: sim.url });
    sim.revokeToken(token);
    const r = await h.service.testCredential('r');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('auth_revoked');
    expect(r.error.exitCode).toBe(22);
    expect(r.error.details.field).toBe('token');
    expect(r.error.hint).toContain('snagsync credentials update "r" --token-stdin');
    expect(r.credential.verified_status).toBe('FAILED');
    expect(r.credential.verify_error).toMatchObject({ error: 'auth_revoked', field: 'token', exit_code: 22 });
    const stored = await h.service.getCredential('r');
    expect(stored.verified_status).toBe('FAILED');
    // Still revoked on the next test (it was verified once), and the organizations last seen are kept.
    const again = await h.service.testCredential('r');
    expect(again.ok ? '' : again.error.code).toBe('auth_revoked');
    expect(stored.organizations.length).toBeGreaterThan(0);
    sim.restoreToken(token);
    const back = await h.service.testCredential('r');
    expect(back.ok).toBe(true);
    expect(back.credential.verified_status).toBe('VERIFIED');
    expect(back.credential.verify_error).toBeNull();
  });

  it('an UNVERIFIED credential with a bad token fails as invalid, not revoked', async () => {
    await h.service.createCredential({ name: 'u', token: 'never-valid-9999', host: sim.url }, { verify: false });
    const r = await h.service.testCredential('u');
    expect(r.ok ? '' : r.error.code).toBe('auth_invalid');
    expect(r.credential.verified_status).toBe('FAILED');
  });

  it('a rate limit during a test is reported but does not change the recorded status', async () => {
    await h.service.createCredential({ name: 'rl', token: admin().token, host: sim.url });
    sim.setFaults('429storm:120s');
    const r = await h.service.testCredential('rl');
    expect(r.ok ? '' : r.error.code).toBe('rate_limited');
    expect(r.credential.verified_status).toBe('VERIFIED');
  });

  it('unknown credential → missing (exit 4)', async () => {
    const e = await rejection(h.service.testCredential('nope'));
    expect(e.code).toBe('missing');
    expect(e.exitCode).toBe(4);
  });
});

describe('recordTokenRejected (a sync refused the token)', () => {
  const refused = () =>
    new SnagError('auth_revoked', 'Bugsnag now refuses the token of credential "s".', {
      hint: 'Update it.',
      status: 401,
    });

  it('records FAILED with the reason on the token field, as a failed test would; a successful test sets it back', async () => {
    await h.service.createCredential({ name: 's', token: admin().token, host: sim.url });
    const used = await h.runtime.store.credentials.findByNameOrId('s');
    const before = Date.now();
    expect(await recordTokenRejected(h.runtime.store, used, refused())).not.toBeNull();
    const marked = await h.service.getCredential('s');
    expect(marked).toMatchObject({
      verified_status: 'FAILED',
      verify_error: {
        error: 'auth_revoked',
        message: refused().message,
        hint: 'Update it.',
        field: 'token',
        exit_code: 22,
      },
    });
    expect(Date.parse(marked.verified_at!)).toBeGreaterThanOrEqual(before - 1);
    expect(marked.organizations.length).toBeGreaterThan(0);
    expect((await h.service.testCredential('s')).credential).toMatchObject({
      verified_status: 'VERIFIED',
      verify_error: null,
    });
  });

  it('leaves a credential alone whose token was replaced since (the old token failed, not the new one)', async () => {
    await h.service.createCredential({ name: 's2', token: admin().token, host: sim.url });
    const used = await h.runtime.store.credentials.findByNameOrId('s2');
    await h.service.updateCredential('s2', { token: member().token });
    expect(await recordTokenRejected(h.runtime.store, used, refused())).toBeNull();
    expect((await h.service.getCredential('s2')).verified_status).toBe('VERIFIED');
  });
});

describe('updateCredential', () => {
  it('keeps the old token when the new one fails verification; replaces it when the new one verifies', async () => {
    await h.service.createCredential({ name: 'u', token: admin().token, host: sim.url });
    const e = await rejection(h.service.updateCredential('u', { token: 'wrong-token-0000' }));
    expect(e.code).toBe('auth_invalid');
    expect(e.details.field).toBe('token');
    expect(await h.service.resolveToken('u')).toBe(admin().token);
    const kept = await h.service.getCredential('u');
    expect(kept.token_last4).toBe(last4(admin().token));
    expect(kept.verified_status).toBe('VERIFIED');

    const r = await h.service.updateCredential('u', { token: member().token, description: 'member now' });
    expect(r.changed.sort()).toEqual(['description', 'token']);
    expect(r.credential.token_last4).toBe(last4(member().token));
    expect(r.credential.organizations.map((o) => o.id)).toEqual(member().organizations);
    expect(await h.service.resolveToken('u')).toBe(member().token);
  });

  it('re-verifies on a host change and keeps the old host when the new one fails', async () => {
    await h.service.createCredential({ name: 'h', token: admin().token, host: sim.url });
    const e = await rejection(h.service.updateCredential('h', { host: await closedPort() }));
    expect(e.code).toBe('network');
    expect(e.details.field).toBe('host');
    expect((await h.service.getCredential('h')).host).toBe(sim.url);
    const ok = await h.service.updateCredential('h', { host: sim.url.replace('127.0.0.1', 'localhost') });
    expect(ok.verification).not.toBeNull();
    expect(ok.changed).toEqual(['host']);
  });

  it('renames without a check; refuses a name taken by another credential', async () => {
    await h.service.createCredential({ name: 'one', token: 'tok-one-1111', host: sim.url }, { verify: false });
    await h.service.createCredential({ name: 'two', token: 'tok-two-2222', host: sim.url }, { verify: false });
    const before = sim.stats().requests;
    const r = await h.service.updateCredential('one', { name: 'Uno' });
    expect(r.credential.name).toBe('Uno');
    expect(r.verification).toBeNull();
    expect(sim.stats().requests).toBe(before);
    const e = await rejection(h.service.updateCredential('uno', { name: 'TWO' }));
    expect(e.code).toBe('conflict');
    expect(e.details.field).toBe('name');
    // Renaming to the same name in another case is fine (it is the credential's own name).
    expect((await h.service.updateCredential('uno', { name: 'UNO' })).credential.name).toBe('UNO');
    expect((await rejection(h.service.updateCredential('uno', {}))).code).toBe('usage');
  });

  it('a new token without a check leaves the credential UNVERIFIED', async () => {
    await h.service.createCredential({ name: 'n', token: admin().token, host: sim.url });
    const r = await h.service.updateCredential('n', { token: 'new-token-5678' }, { verify: false });
    expect(r.credential.verified_status).toBe('UNVERIFIED');
    expect(r.credential.token_last4).toBe('5678');
    expect(r.credential.organizations).toEqual([]);
  });
});

describe('removeCredential', () => {
  it('is refused while a source uses the credential; force disables the source', async () => {
    const { credential } = await h.service.createCredential({ name: 'used', token: admin().token, host: sim.url });
    const source = await h.runtime.store.sources.create({
      name: 'errors',
      credential_id: credential.id,
      destination: 'sqlite:/tmp/x.db',
    });
    expect((await h.service.getCredential('used')).sources_count).toBe(1);
    expect((await h.service.listCredentials())[0]!.sources_count).toBe(1);
    const e = await rejection(h.service.removeCredential('used'));
    expect(e.code).toBe('conflict');
    expect(e.exitCode).toBe(5);
    expect(e.message).toContain('"errors"');
    expect((await h.service.listCredentials()).length).toBe(1);

    const r = await h.service.removeCredential('used', { force: true });
    expect(r.removed.id).toBe(credential.id);
    expect(r.disabled_sources).toEqual([{ id: source.id, name: 'errors' }]);
    const after = await h.runtime.store.sources.get(source.id);
    expect(after?.status).toBe('disabled');
    expect(after?.credential_id).toBeNull();
    expect(await h.service.listCredentials()).toEqual([]);
  });

  it('removes an unused credential; an unknown one is missing', async () => {
    await h.service.createCredential({ name: 'free', token: 'tok-free-0000' }, { verify: false });
    expect((await h.service.removeCredential('FREE')).disabled_sources).toEqual([]);
    expect((await rejection(h.service.removeCredential('free'))).code).toBe('missing');
  });
});

describe('rotateKey', () => {
  it('re-seals every token under a new key; tokens still open', async () => {
    await h.service.createCredential({ name: 'a', token: admin().token, host: sim.url });
    await h.service.createCredential({ name: 'b', token: member().token, host: sim.url });
    const before = await h.runtime.store.credentials.keyIdsInUse();
    const r = await h.service.rotateKey();
    expect(r.resealed).toBe(2);
    expect(r.previousKeyIds).toEqual(before);
    expect(await h.runtime.store.credentials.keyIdsInUse()).toEqual([r.newKeyId]);
    expect(await h.service.resolveToken('a')).toBe(admin().token);
    expect(await h.service.resolveToken('b')).toBe(member().token);
    expect((await h.service.testCredential('b')).ok).toBe(true);
  });
});
