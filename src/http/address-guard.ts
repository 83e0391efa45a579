import dns, { type LookupAddress, type LookupAllOptions, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { SnagError } from '../core/errors.js';

/**
 * Link-local and cloud-metadata addresses are never an API host: on a cloud machine, a credential whose host is
 * `169.254.169.254` (or a name that resolves there) would hand the instance's metadata service, and with it the
 * machine's own cloud credentials, to whoever can create a credential. Private ranges (10/8, 172.16/12, 192.168/16,
 * fc00::/7) stay allowed: on-premise Bugsnag lives there. The check runs on the host as typed (normalizeHost) and again
 * on every address a name resolves to, at connection time, so a DNS name pointing at metadata is refused as well.
 *
 * The rare install that needs such an address opts in with SNAGSYNC_ALLOW_LINK_LOCAL=1.
 */
export const ALLOW_LINK_LOCAL_ENV = 'SNAGSYNC_ALLOW_LINK_LOCAL';

/** Host names of metadata services that are not IP literals. */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
]);

export function linkLocalAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[ALLOW_LINK_LOCAL_ENV];
  return v === '1' || v === 'true';
}

/** Why `address` (an IP literal) is refused, or null when it is fine. */
export function forbiddenAddressReason(address: string): string | null {
  const a = address
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const family = isIP(a);
  if (family === 4) return ipv4Reason(a);
  if (family !== 6) return null;
  // IPv4-mapped (::ffff:169.254.169.254) and its hex form (::ffff:a9fe:a9fe).
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/.exec(a);
  if (mapped) {
    const tail = mapped[1]!;
    if (isIP(tail) === 4) return ipv4Reason(tail);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(tail);
    if (hex) {
      const hi = parseInt(hex[1]!, 16);
      const lo = parseInt(hex[2]!, 16);
      return ipv4Reason(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
  }
  const first = parseInt(a.split(':')[0] || '0', 16);
  if ((first & 0xffc0) === 0xfe80) return 'a link-local IPv6 address (fe80::/10)';
  if (/^fd00:ec2:(0{0,4}:){0,4}:?254$/.test(a) || a === 'fd00:ec2::254')
    return 'the cloud metadata service (fd00:ec2::254)';
  return null;
}

function ipv4Reason(a: string): string | null {
  if (a === '169.254.169.254') return 'the cloud metadata service (169.254.169.254)';
  if (a.startsWith('169.254.')) return 'a link-local IPv4 address (169.254.0.0/16)';
  if (a === '100.100.100.200') return 'the cloud metadata service (100.100.100.200)';
  return null;
}

/** Why a host name as typed is refused (an IP literal or a known metadata name), or null. */
export function forbiddenHostReason(hostname: string): string | null {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(h)) return `the cloud metadata service (${h})`;
  return forbiddenAddressReason(h);
}

export function refusedHostError(host: string, reason: string, resolvedTo?: string): SnagError {
  const via = resolvedTo ? ` (it resolves to ${resolvedTo})` : '';
  return new SnagError('config', `Refused to connect to ${host}${via}: that is ${reason}, never a Bugsnag API host.`, {
    hint:
      'Give your Bugsnag API host (https://api.bugsnag.com, https://api.bugsnag.smartbear.com or your on-premise URL). ' +
      `If your install really serves the API on such an address, set ${ALLOW_LINK_LOCAL_ENV}=1 where snagsync runs.`,
    details: { field: 'host', errorCode: 'ELINKLOCAL' },
  });
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type LookupFunction = (
  hostname: string,
  options: LookupOneOptions | LookupAllOptions,
  callback: LookupCallback,
) => void;

/**
 * A `lookup` for node:http(s) and net that refuses link-local and metadata answers before any connection is made.
 * `resolve` is the real resolver (dns.lookup); tests give a scripted one.
 */
export function guardedLookup(resolve: LookupFunction = dns.lookup as unknown as LookupFunction): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (err, address, family) => {
      if (err || linkLocalAllowed()) {
        callback(err, address, family);
        return;
      }
      const list = Array.isArray(address) ? address.map((a) => a.address) : [address];
      for (const one of list) {
        const reason = forbiddenAddressReason(one);
        if (reason) {
          callback(refusedHostError(hostname, reason, one) as unknown as NodeJS.ErrnoException, address, family);
          return;
        }
      }
      callback(null, address, family);
    });
  };
}

/**
 * For transports that cannot take a `lookup` (built-in fetch): resolve the name first and refuse a forbidden answer.
 * The connection then resolves again (normally from the OS cache); the node:http transport syncs use checks the very
 * addresses it connects to. A name found allowed is not resolved again for ALLOWED_TTL_MS, so a client paging through
 * a list does not pay a lookup per page.
 */
const ALLOWED_TTL_MS = 30_000;
const allowedUntil = new Map<string, number>();

export async function assertHostAllowed(
  hostname: string,
  resolve: LookupFunction = dns.lookup as unknown as LookupFunction,
): Promise<void> {
  if (linkLocalAllowed()) return;
  const h = hostname.replace(/^\[|\]$/g, '');
  const literal = forbiddenHostReason(h);
  if (literal) throw refusedHostError(h, literal);
  if (isIP(h)) return;
  const cached = resolve === dns.lookup ? allowedUntil.get(h) : undefined;
  if (cached !== undefined && cached > Date.now()) return;
  const resolved = await new Promise<boolean>((ok, fail) => {
    guardedLookup(resolve)(h, { all: true }, (err) => {
      if (err instanceof SnagError) fail(err);
      else ok(err === null); // a DNS failure is the connection's to report, with its usual message
    });
  });
  if (resolved && resolve === dns.lookup) allowedUntil.set(h, Date.now() + ALLOWED_TTL_MS);
}
