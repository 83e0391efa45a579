import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EXIT_CODES } from '../../src/core/errors.js';
import { redact } from '../../src/core/redact.js';
import {
  bugsnagCredentialType,
  bugsnagInputSchema,
  credentialAuthHeaders,
  looksLikeProjectApiKey,
  normalizeToken,
  verifyBugsnagToken,
} from '../../src/credentials/index.js';
import { fakeServer, rejection } from './helpers.js';

const TYPE = bugsnagCredentialType;

describe('the Bugsnag credential type', () => {
  it('declares the four fields of the form, in order, with the token as the only secret', () => {
    expect(TYPE.fields.map((f) => [f.name, f.label, f.required, f.secret])).toEqual([
      ['name', 'Credential Name', true, false],
      ['description', 'Credential Description', false, false],
      ['token', 'Auth Token', true, true],
      ['host', 'API host', false, false],
    ]);
    const host = TYPE.fields.find((f) => f.name === 'host')!;
    expect(host.default).toBe('https://api.bugsnag.com');
    expect(host.options?.map((o) => o.label)).toEqual(['Bugsnag', 'SmartBear-hosted BugSnag', 'On-premise']);
    expect(TYPE.fields.find((f) => f.name === 'token')!.help).toContain(
      'My account settings → Personal auth tokens → Generate New Token',
    );
  });

  it('maps every failure to an exit code, its own message, and a form field (or the whole form)', () => {
    const fieldNames = new Set<string>(TYPE.fields.map((f) => f.name));
    const messages = new Set<string>();
    for (const [kind, spec] of Object.entries(TYPE.failures)) {
      expect(EXIT_CODES[spec.code], kind).toBeGreaterThan(0);
      if (spec.field !== null) expect(fieldNames.has(spec.field), kind).toBe(true);
      const ctx = {
        host: 'https://api.example.com',
        status: 401,
        said: 'x',
        reason: 'r',
        retryAfterSeconds: 7,
        got: 'g',
      };
      const m = spec.message(ctx);
      expect(m.length, kind).toBeGreaterThan(20);
      expect(spec.hint(ctx).length, kind).toBeGreaterThan(20);
      messages.add(m);
    }
    expect(messages.size).toBe(Object.keys(TYPE.failures).length);
    expect(TYPE.failures.rate_limited.message({ host: 'h', retryAfterSeconds: 7 })).toContain('try again in 7 s');
  });

  it('sends exactly the declared auth headers, on the declared verify call; success is a JSON array', async () => {
    const server = await fakeServer(
      200,
      '[{"id":"5f0000000000000000000001","name":"Acme","slug":"acme"}]',
      'application/json',
    );
    try {
      const token = 'declared-headers-token-0001';
      const v = await verifyBugsnagToken(token, server.url, {}, { logger: false });
      expect(v.organizations).toEqual([{ id: '5f0000000000000000000001', name: 'Acme', slug: 'acme' }]);
      expect(v.rate_limit).toBeNull();
      const req = server.requests[0]!;
      expect(req.method).toBe(TYPE.verify.method);
      const url = new URL(req.url, server.url);
      expect(url.pathname).toBe(TYPE.verify.path);
      for (const [k, val] of Object.entries(TYPE.verify.query)) expect(url.searchParams.get(k)).toBe(val);
      for (const [k, val] of Object.entries(credentialAuthHeaders(TYPE, token)))
        expect(req.headers[k.toLowerCase()]).toBe(val);
    } finally {
      await server.close();
    }
  });

  it('generates the zod schema for API validation, and its JSON Schema for forms', () => {
    const create = bugsnagInputSchema('create');
    const bad = create.safeParse({ name: '', token: 'x y', host: 'ftp://h', extra: 1 });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.') || i.code);
    expect(paths).toEqual(expect.arrayContaining(['name', 'token', 'host', 'unrecognized_keys']));
    expect(create.safeParse({ name: 'ok', token: 'tok-12345678' }).success).toBe(true);
    expect(create.safeParse({ token: 'tok-12345678' }).success).toBe(false);
    expect(bugsnagInputSchema('update').safeParse({}).success).toBe(true);

    const doc = z.toJSONSchema(create, { io: 'input' }) as {
      required: string[];
      properties: Record<string, { title?: string; maxLength?: number; writeOnly?: boolean; default?: string }>;
    };
    expect(doc.required.sort()).toEqual(['name', 'token']);
    expect(doc.properties.name).toMatchObject({ title: 'Credential Name', maxLength: 100 });
    expect(doc.properties.description).toMatchObject({ maxLength: 1000 });
    expect(doc.properties.token).toMatchObject({ title: 'Auth Token', writeOnly: true });
    expect(doc.properties.host).toMatchObject({ default: 'https://api.bugsnag.com' });
  });
});

describe('token input', () => {
  it('strips what people paste around a token and registers it as a secret at once', () => {
    const t = 'c1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a5b';
    for (const raw of [
      `${t}\n`,
      `  ${t}\r\n`,
      `token ${t}`,
      `Bearer ${t}`,
      `"${t}"`,
      `'${t}'\n`,
      `\u201c${t}\u201d`,
      `Authorization: token ${t}`,
      `token: "${t}"`,
      `\uFEFF${t}`,
    ]) {
      expect(normalizeToken(raw).value, JSON.stringify(raw)).toBe(t);
    }
    expect(normalizeToken(t).note).toBeUndefined();
    expect(normalizeToken(`token ${t}`).note).toContain('"token " prefix');
    expect(redact(`x ${t} y`)).toBe('x [REDACTED] y');
  });

  it('refuses values that cannot be a token, without quoting them', async () => {
    for (const raw of ['', '  \n', 'two words', 'tab\tinside', 'caf\u00e9-token']) {
      const e = await rejection(Promise.resolve().then(() => normalizeToken(raw)));
      expect(e.code).toBe('config');
      if (raw.trim()) expect(e.message).not.toContain(raw.trim());
    }
  });

  it('tells a project notifier API key (32 hex) from a personal token', () => {
    expect(looksLikeProjectApiKey('0123456789abcdef0123456789ABCDEF')).toBe(true);
    expect(looksLikeProjectApiKey('c1a2b3c4-d5e6-4f70-8a9b-0c1d2e3f4a5b')).toBe(false);
    expect(looksLikeProjectApiKey('0123456789abcdef0123456789abcde')).toBe(false);
  });
});

describe('failure messages', () => {
  it('a DNS failure says DNS once, and whether it was temporary', () => {
    const dns = TYPE.failures.dns;
    const gone = dns.message({ host: 'https://api.bugsnag.example', reason: 'host name not found (DNS)' } as never);
    expect(gone).toBe(
      'Host unreachable: the name of https://api.bugsnag.example could not be resolved (DNS: no such host).',
    );
    expect(gone.match(/DNS/g)).toHaveLength(1);
    const flaky = dns.message({
      host: 'https://api.bugsnag.example',
      reason: 'host name lookup failed (DNS, temporary)',
    } as never);
    expect(flaky).toContain('failed for now; try again');
  });
});
