import { describe, expect, it } from 'vitest';
import { classifyTransportError } from '../../src/http/net-errors.js';

const wrapped = (cause: unknown) => new TypeError('fetch failed', { cause });
const sys = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifying transport failures', () => {
  it("finds the system code under fetch's wrapper", () => {
    expect(classifyTransportError(wrapped(sys('ECONNREFUSED')))).toEqual({
      kind: 'network',
      code: 'ECONNREFUSED',
      reason: 'connection refused',
    });
    expect(classifyTransportError(wrapped(sys('ENOTFOUND'))).reason).toBe('host name not found (DNS)');
  });

  it('looks inside an AggregateError (several addresses tried)', () => {
    const agg = Object.assign(new AggregateError([sys('ECONNREFUSED'), sys('EHOSTUNREACH')], 'all failed'), {});
    expect(classifyTransportError(wrapped(agg)).code).toBe('ECONNREFUSED');
  });

  it('tells certificate failures apart (not retried)', () => {
    for (const code of [
      'CERT_HAS_EXPIRED',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ]) {
      expect(classifyTransportError(wrapped(sys(code))).kind).toBe('tls');
    }
    expect(classifyTransportError(wrapped(new Error('self signed certificate in certificate chain'))).kind).toBe('tls');
  });

  it('reads a body cut short as a network failure', () => {
    const r = classifyTransportError(
      new TypeError('terminated', { cause: sys('UND_ERR_SOCKET', 'other side closed') }),
    );
    expect(r).toEqual({ kind: 'network', code: 'UND_ERR_SOCKET', reason: 'connection closed by the other side' });
    expect(classifyTransportError(new TypeError('terminated')).reason).toBe(
      'connection closed before the answer was complete',
    );
  });

  it('falls back to a generic network failure', () => {
    expect(classifyTransportError('weird')).toEqual({ kind: 'network', reason: 'network failure' });
  });
});
