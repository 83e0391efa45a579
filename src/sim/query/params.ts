/**
 * Query strings the way Rails (Bugsnag's API server) reads and writes them. Reading matters because the API's
 * filter quirks come straight from Rails' nested-parameter rules: `filters[f][][type]=…&filters[f][][value]=…` builds
 * an array of {type, value} hashes, where a key already present in the last hash starts a new one (so "all types
 * first, then all values" yields incomplete hashes), and without `[]` a repeated key simply overwrites (only the
 * last pair survives). Writing matters because next links are built with `to_query`: keys escaped with CGI.escape,
 * pieces sorted as strings, array order kept.
 */
export type QValue = string | QValue[] | QHash;
export interface QHash {
  [key: string]: QValue;
}

export class ParamError extends Error {}

export function parseQuery(search: string): QHash {
  const params: QHash = {};
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (!raw) return params;
  for (const part of raw.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decode(part.slice(eq + 1));
    if (name) normalize(params, name, value, 0);
  }
  return params;
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new ParamError('Invalid query string encoding');
  }
}

/** Rack's normalize_params, minus its depth/size limits. */
function normalize(params: QHash, name: string, v: QValue, depth: number): QHash {
  if (depth > 32) throw new ParamError('Query parameters nested too deeply');
  const m = /^[[\]]*([^[\]]+)\]*/.exec(name);
  const k = m?.[1] ?? '';
  const after = m ? name.slice(m[0].length) : '';
  if (!k) return params;
  if (after === '') {
    params[k] = v;
  } else if (after === '[') {
    params[name] = v;
  } else if (after === '[]') {
    const cur = params[k] ?? [];
    if (!Array.isArray(cur)) throw new ParamError(`expected Array (got ${describe(cur)}) for param \`${k}'`);
    cur.push(v);
    params[k] = cur;
  } else {
    const child = /^\[\]\[([^[\]]+)\]$/.exec(after)?.[1] ?? /^\[\](.+)$/.exec(after)?.[1];
    if (child !== undefined) {
      const cur = params[k] ?? [];
      if (!Array.isArray(cur)) throw new ParamError(`expected Array (got ${describe(cur)}) for param \`${k}'`);
      const last = cur[cur.length - 1];
      if (isHash(last) && !hasNestedKey(last, child)) normalize(last, child, v, depth + 1);
      else cur.push(normalize({}, child, v, depth + 1));
      params[k] = cur;
    } else {
      const cur = params[k] ?? {};
      if (!isHash(cur)) throw new ParamError(`expected Hash (got ${describe(cur)}) for param \`${k}'`);
      params[k] = normalize(cur, after, v, depth + 1);
    }
  }
  return params;
}

function hasNestedKey(h: QHash, key: string): boolean {
  const parts = key.split(/[[\]]+/).filter(Boolean);
  let cur: QValue | undefined = h;
  for (const p of parts) {
    if (!isHash(cur) || !(p in cur)) return false;
    cur = cur[p];
  }
  return true;
}

export function isHash(v: QValue | undefined): v is QHash {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: QValue): string {
  return Array.isArray(v) ? 'Array' : isHash(v) ? 'Hash' : 'String';
}

/** Ruby's CGI.escape: everything but [A-Za-z0-9_.~-] percent-encoded, space as '+'. */
export function cgiEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** ActiveSupport's Hash#to_query. */
export function toQuery(params: QHash, namespace?: string): string {
  const pieces: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    const full = namespace ? `${namespace}[${key}]` : key;
    const piece = valueToQuery(value, full);
    if (piece !== '') pieces.push(piece);
  }
  return pieces.sort().join('&');
}

function valueToQuery(value: QValue, key: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return `${cgiEscape(`${key}[]`)}=`;
    return value.map((v) => valueToQuery(v, `${key}[]`)).join('&');
  }
  if (isHash(value)) return toQuery(value, key);
  return `${cgiEscape(key)}=${cgiEscape(value)}`;
}

/** A scalar parameter (the last one if the client sent an array). */
export function scalar(params: QHash, key: string): string | undefined {
  const v = params[key];
  if (typeof v === 'string') return v;
  return undefined;
}

/** `name[]=a&name[]=b`, or a single `name=a` (the Ruby gem sends `error_ids=<id>` for one id). */
export function list(params: QHash, key: string, allowScalar: boolean): string[] | undefined {
  const v = params[key];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  if (typeof v === 'string' && allowScalar) return [v];
  return undefined;
}
