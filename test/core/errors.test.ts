import { describe, expect, it } from 'vitest';
import { SnagError, EXIT_CODES, toSnagError } from '../../src/core/errors.js';
import { registerSecret, redact } from '../../src/core/redact.js';

describe('SnagError', () => {
  it('derives a stable exit code from its code', () => {
    const e = new SnagError('auth_invalid', 'The token was rejected.', { hint: 'Generate a new one.' });
    expect(e.exitCode).toBe(EXIT_CODES.auth_invalid);
    expect(e.describe()).toBe('The token was rejected.\nGenerate a new one.');
    expect(e.toJSON()).toMatchObject({ error: 'auth_invalid', exit_code: 10 });
  });

  it('exit codes are unique per code', () => {
    const codes = Object.values(EXIT_CODES);
    expect(new Set(codes).size).toBe(codes.length);
  });

  it('never carries a registered secret in message, hint, details, stack or cause', () => {
    const token = 'a1b2c3d4-secret-token-value-0042';
    registerSecret(token);
    const cause = new Error(`fetch failed with Authorization: token ${token}`);
    const e = new SnagError('network', `request with ${token} failed`, {
      hint: `retry ${token}`,
      cause,
      details: { t: token },
    });
    const everything = [
      e.message,
      e.hint,
      e.stack,
      JSON.stringify(e),
      JSON.stringify(e.details),
      String((e.cause as Error).message),
      String((e.cause as Error).stack),
    ].join('\n');
    expect(everything).not.toContain(token);
    expect(everything).toContain('[REDACTED]');
  });

  it('wraps unknown throws as internal errors', () => {
    expect(toSnagError(new Error('boom')).code).toBe('internal');
    const abort = new Error('x');
    abort.name = 'AbortError';
    expect(toSnagError(abort).code).toBe('aborted');
  });
});

describe('redact', () => {
  it('removes unregistered tokens found in headers and query strings', () => {
    expect(redact('Authorization: token abcdefabcdefabcdefabcdef')).not.toContain('abcdefabcdefabcdefabcdef');
    expect(redact('https://api.bugsnag.com/x?auth_token=zzz123&a=1')).toBe(
      'https://api.bugsnag.com/x?auth_token=[REDACTED]&a=1',
    );
    expect(redact('{"token":"hello-world"}')).toBe('{"token":"[REDACTED]"}');
  });

  it('removes the password of a database URL, however short, and leaves URLs without one alone', () => {
    expect(redact('dest "postgres://bob:pw@db.example:5432/x?schema=s" failed')).toBe(
      'dest "postgres://bob:[REDACTED]@db.example:5432/x?schema=s" failed',
    );
    expect(redact('postgresql://u:p@ss@h/db')).toBe('postgresql://u:[REDACTED]@h/db');
    expect(redact('postgres://bob@h:5432/x https://api.bugsnag.com:443/a?b=c@d')).toBe(
      'postgres://bob@h:5432/x https://api.bugsnag.com:443/a?b=c@d',
    );
  });
});
