import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { isLoopbackHostname, normalizeHost, sameOrigin } from '../../src/bugsnag/hosts.js';

function configError(input: string): SnagError {
  try {
    normalizeHost(input);
  } catch (err) {
    expect(err).toBeInstanceOf(SnagError);
    expect((err as SnagError).code).toBe('config');
    expect((err as SnagError).hint).toBeTruthy();
    return err as SnagError;
  }
  throw new Error(`"${input}" was accepted`);
}

describe('normalizeHost', () => {
  it.each([
    ['https://api.bugsnag.com', 'https://api.bugsnag.com', 'bugsnag'],
    ['api.bugsnag.com', 'https://api.bugsnag.com', 'bugsnag'],
    ['  API.Bugsnag.com/  ', 'https://api.bugsnag.com', 'bugsnag'],
    ['https://api.bugsnag.smartbear.com', 'https://api.bugsnag.smartbear.com', 'smartbear'],
    ['api.insighthub.smartbear.com', 'https://api.insighthub.smartbear.com', 'insighthub'],
    ['https://bugsnag.example.com', 'https://bugsnag.example.com', 'on-premise'],
    ['https://bugsnag.example.com:49000/api/', 'https://bugsnag.example.com:49000/api', 'on-premise'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010', 'loopback'],
    ['http://localhost:8080', 'http://localhost:8080', 'loopback'],
    ['http://[::1]:9000', 'http://[::1]:9000', 'loopback'],
    ['https://127.0.0.1:8443', 'https://127.0.0.1:8443', 'loopback'],
  ])('%s → %s (%s), without a note', (input, baseUrl, kind) => {
    const h = normalizeHost(input);
    expect(h).toEqual({ baseUrl, origin: new URL(baseUrl).origin, kind });
  });

  it('maps a pasted dashboard URL to its API host and says so', () => {
    expect(normalizeHost('https://app.bugsnag.com/acme/shop/errors?filters[event.since]=30d&sort=last_seen')).toEqual({
      baseUrl: 'https://api.bugsnag.com',
      origin: 'https://api.bugsnag.com',
      kind: 'bugsnag',
      note: 'That is the dashboard address; using its API host https://api.bugsnag.com',
    });
    expect(normalizeHost('app.bugsnag.smartbear.com/acme').baseUrl).toBe('https://api.bugsnag.smartbear.com');
    expect(normalizeHost('https://app.insighthub.smartbear.com/').baseUrl).toBe('https://api.insighthub.smartbear.com');
    expect(normalizeHost('https://app.insighthub.smartbear.com/').kind).toBe('insighthub');
  });

  it('maps the notify and web-site hosts too', () => {
    expect(normalizeHost('https://notify.bugsnag.com').note).toBe(
      'That is the error-reporting (notify) address; using its API host https://api.bugsnag.com',
    );
    expect(normalizeHost('www.bugsnag.com').baseUrl).toBe('https://api.bugsnag.com');
  });

  it('keeps only the host of an API URL with a path', () => {
    const h = normalizeHost('https://api.bugsnag.com/user/organizations?per_page=1');
    expect(h.baseUrl).toBe('https://api.bugsnag.com');
    expect(h.note).toBe('Kept only the host; using https://api.bugsnag.com');
  });

  it('upgrades Bugsnag-hosted http to https with a note', () => {
    const h = normalizeHost('http://api.bugsnag.com');
    expect(h.baseUrl).toBe('https://api.bugsnag.com');
    expect(h.note).toContain('HTTPS only');
  });

  it('uses http for a bare loopback address, and says so', () => {
    const h = normalizeHost('127.0.0.1:4010');
    expect(h.baseUrl).toBe('http://127.0.0.1:4010');
    expect(h.note).toBe('Using plain http for the local address 127.0.0.1:4010');
  });

  it('suggests the api. host for an on-premise dashboard-looking address', () => {
    expect(normalizeHost('https://app.corp.example').note).toBe(
      'If this is your dashboard address, the API is usually at https://api.corp.example',
    );
  });

  it('refuses plain http for anything but loopback', () => {
    const err = configError('http://bugsnag.example.com');
    expect(err.message).toContain('Plain http:// is not allowed for bugsnag.example.com');
    expect(err.hint).toContain('loopback');
  });

  it('refuses empty, spaced, unparsable and non-http inputs', () => {
    expect(configError('').message).toBe('The API host is empty.');
    expect(configError('   ').message).toBe('The API host is empty.');
    expect(configError('api bugsnag com').message).toContain('contains spaces');
    expect(configError('https://').message).toContain('not a valid host');
    expect(configError('ftp://api.bugsnag.com').message).toContain('not ftp:');
  });

  it('refuses credentials or a token in the URL without echoing them', () => {
    const a = configError('https://me:s3cretpass@api.bugsnag.com');
    expect(a.message).not.toContain('s3cretpass');
    const b = configError('https://bugsnag.example.com/?auth_token=abcdef123456');
    expect(b.message).not.toContain('abcdef123456');
    expect(b.hint).toContain('Authorization header');
  });

  it('knows loopback addresses', () => {
    for (const h of ['localhost', '127.0.0.1', '127.8.9.10', '[::1]', '::1', 'LOCALHOST']) {
      expect(isLoopbackHostname(h)).toBe(true);
    }
    for (const h of ['128.0.0.1', 'localhost.example.com', '10.0.0.1', '::2'])
      expect(isLoopbackHostname(h)).toBe(false);
  });

  it('compares origins', () => {
    expect(sameOrigin('https://api.bugsnag.com:443/x?y', 'https://api.bugsnag.com')).toBe(true);
    expect(sameOrigin('http://api.bugsnag.com/x', 'https://api.bugsnag.com')).toBe(false);
    expect(sameOrigin('not a url', 'https://api.bugsnag.com')).toBe(false);
  });
});
