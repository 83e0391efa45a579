import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

/**
 * The real VCR recordings of Bugsnag's own Ruby client (API.md §8), read from the shared folder next to the repo
 * (`../shared/bugsnag/cassettes`, resolved from this file so it works from any working directory).
 */
export const CASSETTE_DIR =
  process.env.SNAGSYNC_BUGSNAG_CASSETTES ?? fileURLToPath(new URL('../../../../shared/bugsnag/cassettes/', import.meta.url));

export const RECORDED_ORIGIN = 'https://api.bugsnag.com';

export interface Exchange {
  /** Cassette path relative to the cassette folder, and position in it. */
  file: string;
  index: number;
  method: string;
  /** Path and query as recorded (host removed). */
  pathAndQuery: string;
  requestBody: string;
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

interface VcrInteraction {
  request: { method: string; uri: string; body?: { string?: string } };
  response: {
    status: { code: number };
    headers: Record<string, string[] | string>;
    body: { string?: string };
  };
}

export function loadExchanges(dir = CASSETTE_DIR): Exchange[] {
  if (!existsSync(dir)) throw new Error(`Bugsnag cassettes not found at ${dir} (set SNAGSYNC_BUGSNAG_CASSETTES)`);
  const files = walk(dir).filter((f) => f.endsWith('.yml')).sort();
  const out: Exchange[] = [];
  for (const file of files) {
    const doc = YAML.parse(readFileSync(file, 'utf8')) as { http_interactions: VcrInteraction[] };
    doc.http_interactions.forEach((it, index) => {
      const uri = new URL(it.request.uri);
      if (uri.origin !== RECORDED_ORIGIN) throw new Error(`unexpected origin in ${file}: ${uri.origin}`);
      const headers: Array<[string, string]> = [];
      for (const [name, values] of Object.entries(it.response.headers)) {
        for (const v of Array.isArray(values) ? values : [values]) headers.push([name, String(v)]);
      }
      out.push({
        file: relative(dir, file),
        index,
        method: it.request.method.toUpperCase(),
        pathAndQuery: `${uri.pathname}${uri.search}`,
        requestBody: it.request.body?.string ?? '',
        status: it.response.status.code,
        headers,
        body: it.response.body.string ?? '',
      });
    });
  }
  return out;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function header(exchange: Exchange, name: string): string | undefined {
  return exchange.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
