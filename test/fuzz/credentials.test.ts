import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeHost } from '../../src/bugsnag/hosts.js';
import { SnagError } from '../../src/core/errors.js';
import { bugsnagInputSchema, parseBugsnagCreate } from '../../src/credentials/bugsnag-type.js';
import { harness, type Harness } from '../credentials/helpers.js';
import { hostileJson, hostileText } from './arbitraries.js';
import { FEW, RUNS } from './settings.js';

const FIELDS = ['name', 'description', 'token', 'host'] as const;
type Field = (typeof FIELDS)[number];

let seq = 0;
const valid = (): Record<Field, string> => ({
  name: `fuzz ${++seq}`,
  description: 'fuzzed',
  token: 'a1b2c3d4-1111-4222-8333-444455556666',
  host: 'http://127.0.0.1:9',
});

const hostish = fc.oneof(
  hostileText,
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.domain(),
  fc.ipV4(),
  fc.ipV6().map((ip) => `https://[${ip}]`),
  fc.constantFrom(
    'https://169.254.169.254',
    'http://[fe80::1]',
    'https://[::ffff:169.254.169.254]',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'https://u:p@api.bugsnag.com',
    'https://x.example/?auth_token=abcdefghijklmnop',
    '//',
    'https://',
    'http://localhost:0',
  ),
);

/** The error thrown for one bad field: a config SnagError that names the field (and nothing else thrown). */
function expectFieldError(err: unknown, field: Field): void {
  if (!(err instanceof SnagError)) throw err;
  expect(err.code).toBe('config');
  expect(err.details.field).toBe(field);
}

describe('credential fields, arbitrary values (property)', () => {
  let h: Harness;
  beforeAll(() => {
    h = harness();
  });
  afterAll(async () => {
    await h.cleanup();
  });

  it('normalizeHost: a base URL on the host given, or SnagError config; never another kind of error', () => {
    fc.assert(
      fc.property(hostish, (raw) => {
        try {
          const host = normalizeHost(raw);
          const url = new URL(host.baseUrl);
          expect(['https:', 'http:']).toContain(url.protocol);
          if (url.protocol === 'http:') expect(host.kind).toBe('loopback');
          expect(url.username + url.password).toBe('');
          expect(url.hostname).not.toMatch(/^(169\.254\.|\[fe[89ab])/);
        } catch (err) {
          if (!(err instanceof SnagError)) throw err;
          expect(err.code).toBe('config');
        }
      }),
      RUNS,
    );
  });

  it('the API input schema never throws, and its issues are on the field given', () => {
    const schema = bugsnagInputSchema('create');
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), hostileJson, (field, value) => {
        const r = schema.safeParse({ ...valid(), [field]: value });
        if (!r.success) for (const iss of r.error.issues) expect(iss.path[0]).toBe(field);
      }),
      RUNS,
    );
  });

  it('parsing a create never throws anything but a config SnagError naming the one bad field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.oneof(hostileText, hostish, hostileJson), (field, value) => {
        try {
          parseBugsnagCreate({ ...valid(), [field]: value });
        } catch (err) {
          expectFieldError(err, field);
        }
      }),
      RUNS,
    );
  });

  it('createCredential (no verification: nothing is sent) saves clean values or names the field; nothing half-saved', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...FIELDS), fc.oneof(hostileText, hostish), async (field, value) => {
        const input = { ...valid(), [field]: value };
        const before = (await h.service.listCredentials()).length;
        try {
          const r = await h.service.createCredential(input, { verify: false });
          expect(r.credential.name).not.toMatch(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/u);
          expect(new URL(r.credential.host).protocol).toMatch(/^https?:$/);
          expect((await h.service.listCredentials()).length).toBe(before + 1);
        } catch (err) {
          if (err instanceof SnagError && err.code === 'conflict') expect(err.details.field).toBe('name');
          else expectFieldError(err, field);
          expect((await h.service.listCredentials()).length).toBe(before);
        }
      }),
      FEW,
    );
  });
});
