import { recordedExchanges } from '../helpers/fixtures.js';

/** The real recorded exchanges (bugsnag-api-ruby VCR cassettes), flattened to method, path, status and JSON body. */
export interface Recorded {
  file: string;
  method: string;
  path: string;
  query: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function loadCassettes(): Recorded[] {
  return recordedExchanges().map((it) => {
    const u = new URL(it.uri);
    let body: unknown;
    try {
      body = it.body ? JSON.parse(it.body) : undefined;
    } catch {
      body = undefined;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(it.headers)) headers[k] = v.join(', ');
    return { file: it.file, method: it.method, path: u.pathname, query: u.search, status: it.status, headers, body };
  });
}

/** Renames between the 2017 recordings and today's API (and scrubber artefacts), applied before comparing keys. */
const RENAMES: Array<[RegExp, string]> = [
  [/BUGSNAG_PASSWORD_updated_on/g, 'password_updated_on'], // the recorder's secret scrubber renamed this key
  [/\breceivedAt\b/g, 'received_at'], // 2017 list rows; current docs and Airbyte's live schema use received_at
  [/exceptions\[\]\.error_class/g, 'exceptions[].errorClass'], // notifier casing varies (docs/bugsnag-api.md §16)
];

/** Every key path in a JSON value: `a.b`, `list[].c`; maps keyed by ids or numbers collapse to `{}`. */
export function keyPaths(value: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const v of value) keyPaths(v, `${prefix}[]`, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const mapKey = /^\d+$/.test(k) || /^[0-9a-f]{24}$/.test(k) || /^BUGSNAG_[A-Z_]+_ID$/.test(k);
      const key = mapKey ? '{}' : k;
      const path = prefix ? `${prefix}.${key}` : key;
      out.add(normalize(path));
      keyPaths(v, path, out);
    }
  }
  return out;
}

function normalize(path: string): string {
  let p = path;
  for (const [re, to] of RENAMES) p = p.replace(re, to);
  return p;
}
