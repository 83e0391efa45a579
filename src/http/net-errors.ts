/**
 * What a thrown transport error means. fetch wraps the real reason (`TypeError: fetch failed`) with the system code
 * on `cause` (sometimes nested, sometimes an AggregateError over several addresses), so the whole chain is searched.
 */
export type FailureKind = 'network' | 'tls';

export interface TransportFailure {
  kind: FailureKind;
  /** The most specific code found (ECONNREFUSED, ENOTFOUND, CERT_HAS_EXPIRED, UND_ERR_SOCKET…), if any. */
  code?: string;
  /** A short human reason: "connection refused", "certificate has expired"… */
  reason: string;
}

// OpenSSL verify codes (CERT_*, UNABLE_TO_*, *SELF_SIGNED*…), Node TLS codes (ERR_TLS_*, ERR_SSL_*), handshake EPROTO.
const TLS_CODE = /CERT|TLS|SSL|EPROTO|HOSTNAME_MISMATCH|UNABLE_TO_|SIGNATURE|SELF_SIGNED|ISSUER/i;

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS, temporary)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNABORTED: 'connection aborted',
  UND_ERR_SOCKET: 'connection closed by the other side',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer headers in time',
  UND_ERR_BODY_TIMEOUT: 'answer body stalled',
  CERT_HAS_EXPIRED: 'certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate cannot be verified',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate does not match the host name',
};

export function classifyTransportError(err: unknown): TransportFailure {
  const codes: string[] = [];
  const messages: string[] = [];
  collect(err, codes, messages, 0);
  const tls =
    codes.find((c) => TLS_CODE.test(c)) ?? (messages.some((m) => /certificate|ssl|tls/i.test(m)) ? 'TLS' : undefined);
  if (tls) {
    return { kind: 'tls', code: tls, reason: REASONS[tls] ?? 'TLS handshake or certificate failure' };
  }
  const code = codes.find((c) => c in REASONS) ?? codes[0];
  const terminated = messages.some((m) => /terminated|other side closed|socket hang up/i.test(m));
  const reason =
    (code && REASONS[code]) ?? (terminated ? 'connection closed before the answer was complete' : 'network failure');
  return code ? { kind: 'network', code, reason } : { kind: 'network', reason };
}

function collect(err: unknown, codes: string[], messages: string[], depth: number): void {
  if (depth > 6 || err === null || typeof err !== 'object') return;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') codes.push(e.code);
  if (typeof e.message === 'string') messages.push(e.message);
  if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, codes, messages, depth + 1);
  collect(e.cause, codes, messages, depth + 1);
}
