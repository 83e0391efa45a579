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

/** Why `address` (an IP literal, with or without brackets and zone) is refused, or null when it is fine. */
export function forbiddenAddressReason(address: string): string | null {
  let a = address.toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const zone = a.indexOf('%');
  if (zone !== -1) a = a.slice(0, zone);
  const family = isIP(a);
  if (family === 4) return ipv4Reason(a);
  if (family !== 6) return null;
  const w = ipv6Words(a);
  if ((w[0]! & 0xffc0) === 0xfe80) return 'a link-local IPv6 address (fe80::/10)';
  if (w[0] === 0xfd00 && w[1] === 0xec2 && zeros(w, 2, 7) && w[7] === 0x254)
    return 'the cloud metadata service (fd00:ec2::254)';
  const embedded = embeddedIpv4(w);
  if (!embedded) return null;
  const reason = ipv4Reason(embedded.ipv4);
  return reason ? `${reason}, written as ${embedded.form}` : null;
}

function ipv4Reason(a: string): string | null {
  if (a === '169.254.169.254') return 'the cloud metadata service (169.254.169.254)';
  if (a.startsWith('169.254.')) return 'a link-local IPv4 address (169.254.0.0/16)';
  if (a === '100.100.100.200') return 'the cloud metadata service (100.100.100.200)';
  return null;
}

/**
 * The eight 16-bit groups of an IPv6 address that `isIP` accepted (lower case, no zone): `::` expanded, a dotted IPv4
 * tail turned into the last two groups. One pass over at most 45 characters.
 */
function ipv6Words(a: string): number[] {
  let text = a;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) !== -1) {
    const [b0, b1, b2, b3] = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const gap = text.indexOf('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  if (gap === -1) return groups(text);
  const left = groups(text.slice(0, gap));
  const right = groups(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

function zeros(w: readonly number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (w[i] !== 0) return false;
  return true;
}

/**
 * The IPv4 address an IPv6 address stands for, where traffic to it reaches that IPv4 address: a host, a NAT64 gateway
 * or a 6to4 relay on the way would carry a request for `64:ff9b::a9fe:a9fe` to 169.254.169.254.
 */
function embeddedIpv4(w: readonly number[]): { ipv4: string; form: string } | null {
  const dotted = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const tail = dotted(w[6]!, w[7]!);
  if (zeros(w, 0, 5) && w[5] === 0xffff) return { ipv4: tail, form: 'an IPv4-mapped IPv6 address (::ffff:0:0/96)' };
  if (zeros(w, 0, 4) && w[4] === 0xffff && w[5] === 0)
    return { ipv4: tail, form: 'an IPv4-translated IPv6 address (::ffff:0:0:0/96)' };
  if (zeros(w, 0, 6)) return { ipv4: tail, form: 'an IPv4-compatible IPv6 address (::/96)' };
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(w, 2, 6)) return { ipv4: tail, form: 'a NAT64 address (64:ff9b::/96)' };
  if (w[0] === 0x2002) return { ipv4: dotted(w[1]!, w[2]!), form: 'a 6to4 address (2002::/16)' };
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
    details: { field: 'host', errorCode: 'ELINKLOCAL', reason, ...(resolvedTo ? { resolvedTo } : {}) },
  });
}

/**
 * The refusal of a URL's host as written (an IP literal or a metadata name), or null. Every transport calls it before
 * connecting: node:net never calls `lookup` for an IP literal, so `http://169.254.169.254/` would otherwise connect
 * without the guard ever seeing it.
 */
export function hostRefusal(hostname: string): SnagError | null {
  if (linkLocalAllowed()) return null;
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const reason = forbiddenHostReason(h);
  return reason ? refusedHostError(h, reason) : null;
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
  const refused = hostRefusal(hostname);
  if (refused) throw refused;
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
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
