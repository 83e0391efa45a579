import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { normalizeHost } from '../../src/bugsnag/hosts.js';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import { nodeTransport } from '../../src/engine/transport.js';
import {
  ALLOW_LINK_LOCAL_ENV,
  assertHostAllowed,
  forbiddenAddressReason,
  guardedLookup,
  hostRefusal,
  type LookupFunction,
} from '../../src/http/address-guard.js';
import { nodeStreamTransport } from '../../src/http/stream-transport.js';
import { harness, type Harness } from '../credentials/helpers.js';

/**
 * Link-local and metadata addresses are refused before any connection. Nothing here connects anywhere but loopback:
 * the refused cases are decided from the host as typed or from a scripted resolver's answer.
 */

/** A resolver that answers every name with `address` and records what it was asked. */
function scriptedResolver(address: string, asked: string[]): LookupFunction {
  return (hostname, options, callback) => {
    asked.push(hostname);
    const family = address.includes(':') ? 6 : 4;
    if ((options as { all?: boolean }).all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

async function refusal(p: Promise<unknown>): Promise<SnagError> {
  try {
    await p;
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

afterEach(() => {
  delete process.env[ALLOW_LINK_LOCAL_ENV];
});

describe('forbidden addresses', () => {
  it.each([
    ['169.254.169.254', 'metadata'],
    ['169.254.10.20', 'link-local'],
    ['100.100.100.200', 'metadata'],
    ['fe80::1', 'link-local'],
    ['FE80::abcd:1', 'link-local'],
    ['[fe80::1%eth0]', 'link-local'],
    ['febf::1', 'link-local'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'metadata'],
    // NAT64 (64:ff9b::/96): a NAT64 gateway on the way turns it into the IPv4 address it ends with.
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::169.254.169.254', 'metadata'],
    ['[64:FF9B:0:0:0:0:A9FE:A9FE]', 'metadata'],
    ['64:ff9b::a9fe:1', 'link-local'],
    ['64:ff9b::6464:64c8', 'metadata'],
    // IPv4-compatible (::/96, deprecated but still parsed by stacks) and IPv4-translated (::ffff:0:0:0/96).
    ['::a9fe:a9fe', 'metadata'],
    ['::169.254.169.254', 'metadata'],
    ['::ffff:0:169.254.1.1', 'link-local'],
    // 6to4 (2002::/16): the IPv4 address is the 32 bits after the prefix.
    ['2002:a9fe:a9fe::', 'metadata'],
    ['2002:a9fe:a9fe:1::5', 'metadata'],
    ['2002:a9fe:0101::1', 'link-local'],
  ])('%s is refused (%s)', (address, kind) => {
    expect(forbiddenAddressReason(address)).toContain(kind);
  });

  it.each([
    '127.0.0.1',
    '::1',
    '10.1.2.3',
    '172.16.0.9',
    '192.168.1.20',
    'fc00::5',
    'fec0::1',
    '8.8.8.8',
    '169.253.1.1',
    '::ffff:10.0.0.1',
    '::ffff:127.0.0.1',
    '::',
    '64:ff9b::8.8.8.8',
    '64:ff9b::a00:7',
    '2002:a00:1::1',
    '2001:db8::a9fe:a9fe',
    '1:2:3:4:5:6:a9fe:a9fe',
    'not an address',
  ])('%s is allowed (private ranges are where on-premise Bugsnag lives)', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });
});

describe('the host as written, checked before any connection (node:net never looks an IP literal up)', () => {
  it.each([
    '169.254.169.254',
    '[64:ff9b::a9fe:a9fe]',
    '[::a9fe:a9fe]',
    '[2002:a9fe:a9fe::1]',
    'metadata.google.internal',
    'METADATA.GOOGLE.INTERNAL.',
  ])('%s is refused', (hostname) => {
    const e = hostRefusal(hostname);
    expect(e?.code).toBe('config');
    expect(e?.details.errorCode).toBe('ELINKLOCAL');
    expect(e?.hint).toContain(ALLOW_LINK_LOCAL_ENV);
  });

  it('names and allowed addresses pass, and the opt-in lets everything through', () => {
    expect(hostRefusal('api.bugsnag.com')).toBeNull();
    expect(hostRefusal('[::1]')).toBeNull();
    expect(hostRefusal('10.0.0.8')).toBeNull();
    process.env[ALLOW_LINK_LOCAL_ENV] = '1';
    expect(hostRefusal('169.254.169.254')).toBeNull();
  });

  it('a long text is judged in time linear in its length', () => {
    const long = `${'0:'.repeat(200_000)}a9fe`;
    const started = performance.now();
    expect(forbiddenAddressReason(long)).toBeNull();
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('a credential host', () => {
  it.each([
    'https://169.254.169.254',
    '169.254.169.254',
    'https://169.254.169.254/latest/meta-data/',
    'https://[fe80::1]:8443',
    'http://[::ffff:169.254.169.254]',
    'https://metadata.google.internal',
  ])('%s is refused on the host field, naming the opt-in', (host) => {
    let err: unknown;
    try {
      normalizeHost(host);
    } catch (e) {
      err = e;
    }
    expect(isSnagError(err)).toBe(true);
    const e = err as SnagError;
    expect(e.code).toBe('config');
    expect(e.exitCode).toBe(3);
    expect(e.details.field).toBe('host');
    expect(e.message).toMatch(/never a Bugsnag API host/);
    expect(e.hint).toContain(ALLOW_LINK_LOCAL_ENV);
  });

  it('is accepted with the explicit opt-in, and private addresses always', () => {
    expect(normalizeHost('https://10.0.0.8/api').baseUrl).toBe('https://10.0.0.8/api');
    expect(normalizeHost('https://192.168.0.2').baseUrl).toBe('https://192.168.0.2');
    process.env[ALLOW_LINK_LOCAL_ENV] = '1';
    expect(normalizeHost('https://169.254.169.254').baseUrl).toBe('https://169.254.169.254');
  });

  describe('through the credential service', () => {
    let h: Harness;
    beforeAll(() => {
      h = harness();
    });
    afterAll(() => h.cleanup());

    it('refuses to save a metadata host and saves nothing', async () => {
      const e = await refusal(
        h.service.createCredential({
          name: 'meta',
          token: 'a1b2c3d4-0000-4000-a000-deadbeefcafe',
          host: 'https://169.254.169.254',
        }),
      );
      expect(e.code).toBe('config');
      expect(e.details.field).toBe('host');
      expect(await h.service.listCredentials()).toEqual([]);
    });
  });
});

describe('after DNS resolution', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits++;
      res.end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = (url: string) => ({ method: 'GET' as const, url, headers: {}, signal: new AbortController().signal });

  it('the sync transport refuses a name that resolves to a link-local address, without connecting', async () => {
    const asked: string[] = [];
    // fe80::a9fe has no interface here: even without the guard, the kernel would refuse to connect to it (EINVAL).
    // Answers of 169.254.169.254 and its IPv6 forms are judged by the guarded lookup itself, below.
    const transport = nodeTransport({ resolve: scriptedResolver('fe80::a9fe', asked) });
    const before = hits;
    const e = await refusal(transport(get(`http://bugsnag.corp.example:${port}/user/organizations`)));
    expect(asked).toEqual(['bugsnag.corp.example']);
    expect(e.code).toBe('config');
    expect(e.details.field).toBe('host');
    expect(e.message).toContain('resolves to fe80::a9fe');
    expect(hits).toBe(before);
  });

  it('the sync transport connects when the name resolves to an allowed address (the guard passes good answers)', async () => {
    const asked: string[] = [];
    const transport = nodeTransport({ resolve: scriptedResolver('127.0.0.1', asked) });
    const before = hits;
    const r = await transport(get(`http://bugsnag.corp.example:${port}/user/organizations`));
    expect(r.status).toBe(200);
    expect(asked).toEqual(['bugsnag.corp.example']);
    expect(hits).toBe(before + 1);
  });

  it.each([
    ['169.254.169.254', 'metadata'],
    ['64:ff9b::a9fe:a9fe', 'NAT64'],
    ['::ffff:169.254.169.254', 'IPv4-mapped'],
    ['2002:a9fe:a9fe::1', '6to4'],
  ])('the guarded lookup refuses an answer of %s (%s), and passes a good one through', async (address, kind) => {
    const answer = (resolve: LookupFunction, all: boolean) =>
      new Promise<{ err: unknown; address: unknown }>((ok) =>
        guardedLookup(resolve)('bugsnag.corp.example', { all }, (err, a) => ok({ err, address: a })),
      );
    for (const all of [true, false]) {
      const refused = await answer(scriptedResolver(address, []), all);
      expect(isSnagError(refused.err)).toBe(true);
      expect((refused.err as SnagError).message).toContain(`resolves to ${address}`);
      expect((refused.err as SnagError).message).toContain(kind);
      expect((refused.err as SnagError).details).toMatchObject({ errorCode: 'ELINKLOCAL', resolvedTo: address });
      const fine = await answer(scriptedResolver('10.0.0.7', []), all);
      expect(fine.err).toBeNull();
    }
  });

  it('the transports refuse an IP literal host before connecting (no lookup is made for a literal)', async () => {
    const asked: string[] = [];
    // fe80::1 has no interface here: even without the guard, the kernel would refuse to connect to it (EINVAL).
    const url = `http://[fe80::1]:${port}/user/organizations`;
    const e = await refusal(nodeTransport({ resolve: scriptedResolver('127.0.0.1', asked) })(get(url)));
    expect(e.details.errorCode).toBe('ELINKLOCAL');
    expect(e.message).toContain('link-local IPv6');
    const s = await refusal(
      nodeStreamTransport({ resolve: scriptedResolver('127.0.0.1', asked) })({ url, headers: {}, idleTimeoutMs: 1000 }),
    );
    expect(s.details.errorCode).toBe('ELINKLOCAL');
    expect(asked).toEqual([]);
  });

  it('the download transport refuses a name that resolves to a link-local address, without connecting', async () => {
    const asked: string[] = [];
    const transport = nodeStreamTransport({ resolve: scriptedResolver('fe80::a9fe', asked) });
    const before = hits;
    const e = await refusal(
      transport({ url: `http://exports.bugsnag.example:${port}/e.json`, headers: {}, idleTimeoutMs: 1000 }),
    );
    expect(asked).toEqual(['exports.bugsnag.example']);
    expect(e.message).toContain('resolves to fe80::a9fe');
    expect(hits).toBe(before);
    // The same transport connects when the answer is fine (here: this test's loopback server).
    const ok = await nodeStreamTransport({ resolve: scriptedResolver('127.0.0.1', asked) })({
      url: `http://exports.bugsnag.example:${port}/e.json`,
      headers: {},
      idleTimeoutMs: 1000,
    });
    ok.body.resume();
    expect(ok.status).toBe(200);
    expect(hits).toBe(before + 1);
  });

  it('the interactive (fetch) transport checks the resolved addresses first', async () => {
    const asked: string[] = [];
    const e = await refusal(assertHostAllowed('bugsnag.corp.example', scriptedResolver('fe80::1', asked)));
    expect(e.message).toContain('link-local');
    expect(asked).toEqual(['bugsnag.corp.example']);
    await expect(assertHostAllowed('bugsnag.corp.example', scriptedResolver('10.0.0.7', []))).resolves.toBeUndefined();
    process.env[ALLOW_LINK_LOCAL_ENV] = '1';
    await expect(
      assertHostAllowed('bugsnag.corp.example', scriptedResolver('169.254.169.254', [])),
    ).resolves.toBeUndefined();
  });
});
