import { SnagError } from '../core/errors.js';
import { forbiddenHostReason, linkLocalAllowed, refusedHostError } from '../http/address-guard.js';

/**
 * Where the Data Access API lives (docs/bugsnag-api.md §2): Bugsnag SaaS, SmartBear-hosted BugSnag (and its older Insight Hub
 * name), or an on-premise install. HTTPS only, except loopback addresses (the simulator, tests) which may use http.
 */
export const DEFAULT_API_BASE_URL = 'https://api.bugsnag.com';

export type HostKind = 'bugsnag' | 'smartbear' | 'insighthub' | 'on-premise' | 'loopback';

export const KNOWN_API_HOSTS: ReadonlyArray<{ baseUrl: string; kind: HostKind; dashboard: string }> = [
  { baseUrl: 'https://api.bugsnag.com', kind: 'bugsnag', dashboard: 'app.bugsnag.com' },
  { baseUrl: 'https://api.bugsnag.smartbear.com', kind: 'smartbear', dashboard: 'app.bugsnag.smartbear.com' },
  { baseUrl: 'https://api.insighthub.smartbear.com', kind: 'insighthub', dashboard: 'app.insighthub.smartbear.com' },
];

/** Hosts people paste that are not the API, mapped to the API host of the same deployment, with why. */
const NOT_THE_API: Record<string, { api: string; what: string }> = {
  'app.bugsnag.com': { api: 'api.bugsnag.com', what: 'the dashboard address' },
  'app.bugsnag.smartbear.com': { api: 'api.bugsnag.smartbear.com', what: 'the dashboard address' },
  'app.insighthub.smartbear.com': { api: 'api.insighthub.smartbear.com', what: 'the dashboard address' },
  'bugsnag.com': { api: 'api.bugsnag.com', what: "Bugsnag's web site" },
  'www.bugsnag.com': { api: 'api.bugsnag.com', what: "Bugsnag's web site" },
  'docs.bugsnag.com': { api: 'api.bugsnag.com', what: "Bugsnag's documentation site" },
  'notify.bugsnag.com': { api: 'api.bugsnag.com', what: 'the error-reporting (notify) address' },
  'sessions.bugsnag.com': { api: 'api.bugsnag.com', what: 'the session-reporting address' },
  'notify.bugsnag.smartbear.com': { api: 'api.bugsnag.smartbear.com', what: 'the error-reporting (notify) address' },
  'sessions.bugsnag.smartbear.com': { api: 'api.bugsnag.smartbear.com', what: 'the session-reporting address' },
};

export interface NormalizedHost {
  /** Scheme, host, port and (on-premise only) path prefix, without a trailing slash: `https://api.bugsnag.com`. */
  baseUrl: string;
  origin: string;
  kind: HostKind;
  /** What was changed and why, to show the user ("That is the dashboard address; using its API host …"). */
  note?: string;
}

export function isLoopbackHostname(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const HINT =
  'Give the API host, e.g. https://api.bugsnag.com, https://api.bugsnag.smartbear.com, or your on-premise API URL.';

/**
 * Accepts a bare host name (`api.bugsnag.com`), a full URL, or a pasted dashboard URL
 * (`https://app.bugsnag.com/org/proj/errors?…`), and returns the API base URL to use plus a note of what it chose.
 * Throws SnagError('config') for anything that cannot be an API host. Never echoes user info or query strings,
 * which may hold secrets.
 */
export function normalizeHost(input: string): NormalizedHost {
  const raw = input.trim();
  if (raw === '') throw new SnagError('config', 'The API host is empty.', { hint: HINT });
  if (/\s/.test(raw)) throw new SnagError('config', `"${raw}" is not a host name: it contains spaces.`, { hint: HINT });

  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw);
  let url: URL;
  try {
    url = new URL(hasScheme ? raw : `http://${raw}`);
  } catch {
    throw new SnagError('config', `"${raw.replace(/[?#].*$/, '')}" is not a valid host or URL.`, { hint: HINT });
  }
  if (url.username || url.password) {
    throw new SnagError('config', 'The API host must not contain a user name or password.', {
      hint: `${HINT} The token is given separately and is sent in a header, never in the URL.`,
    });
  }
  if (url.searchParams.has('auth_token') || url.searchParams.has('token')) {
    throw new SnagError('config', 'The API host must not carry a token in its query string.', {
      hint: `${HINT} snagsync sends the token in the Authorization header; remove it from the URL (and consider revoking it, as URLs end up in logs).`,
    });
  }
  const scheme = hasScheme ? url.protocol : undefined;
  if (scheme !== undefined && scheme !== 'https:' && scheme !== 'http:') {
    throw new SnagError('config', `The API host must be an https:// URL, not ${scheme}//.`, { hint: HINT });
  }
  const hostname = url.hostname.toLowerCase();
  if (!hostname) throw new SnagError('config', `"${raw}" has no host name.`, { hint: HINT });
  const forbidden = linkLocalAllowed() ? null : forbiddenHostReason(hostname);
  if (forbidden) throw refusedHostError(url.host, forbidden);
  const notes: string[] = [];
  const extras = Boolean(url.search || url.hash);

  const mapped = NOT_THE_API[hostname];
  const known = KNOWN_API_HOSTS.find((h) => new URL(h.baseUrl).hostname === hostname);
  if (mapped || known) {
    // Bugsnag-hosted: always https on the standard port, never a path prefix.
    const apiHost = mapped ? mapped.api : hostname;
    const baseUrl = `https://${apiHost}`;
    const kind = KNOWN_API_HOSTS.find((h) => h.baseUrl === baseUrl)?.kind ?? 'bugsnag';
    if (mapped) notes.push(`That is ${mapped.what}; using its API host ${baseUrl}`);
    else if (scheme === 'http:') notes.push(`Bugsnag's API is served over HTTPS only; using ${baseUrl}`);
    else if ((url.pathname !== '/' && url.pathname !== '') || extras || url.port) {
      notes.push(`Kept only the host; using ${baseUrl}`);
    }
    return withNote({ baseUrl, origin: baseUrl, kind }, notes);
  }

  const loopback = isLoopbackHostname(hostname);
  if (scheme === 'http:' && !loopback) {
    throw new SnagError('config', `Plain http:// is not allowed for ${hostname}: the token would travel unencrypted.`, {
      hint: 'Use https://. Plain http is accepted only for loopback addresses (127.0.0.1, ::1, localhost).',
    });
  }
  // A bare loopback address is almost always the simulator or a local test server, which speak plain http.
  const protocol = scheme ?? (loopback ? 'http:' : 'https:');
  if (!scheme && loopback) notes.push(`Using plain http for the local address ${url.host}`);
  const path = url.pathname.replace(/\/+$/, '');
  const origin = `${protocol}//${url.host}`;
  const baseUrl = `${origin}${path}`;
  if (extras) notes.push(`Ignored the query string and fragment; using ${baseUrl}`);
  if (!loopback && hostname.startsWith('app.')) {
    notes.push(`If this is your dashboard address, the API is usually at https://api.${hostname.slice(4)}`);
  }
  return withNote({ baseUrl, origin, kind: loopback ? 'loopback' : 'on-premise' }, notes);
}

function withNote(host: NormalizedHost, notes: string[]): NormalizedHost {
  return notes.length ? { ...host, note: notes.join('. ') } : host;
}

/** True when `url` (absolute) is on the same origin as the configured API base URL. */
export function sameOrigin(url: string, baseUrl: string): boolean {
  try {
    return new URL(url).origin === new URL(baseUrl).origin;
  } catch {
    return false;
  }
}
