import { recordedExchanges } from '../../helpers/fixtures.js';

/**
 * The real VCR recordings of Bugsnag's own Ruby client (docs/bugsnag-api.md §1), from the committed fixture
 * `test/fixtures/bugsnag/exchanges.json`.
 */
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

export function loadExchanges(): Exchange[] {
  return recordedExchanges().map((it) => {
    const uri = new URL(it.uri);
    if (uri.origin !== RECORDED_ORIGIN) throw new Error(`unexpected origin in ${it.file}: ${uri.origin}`);
    return {
      file: it.file,
      index: it.index,
      method: it.method,
      pathAndQuery: `${uri.pathname}${uri.search}`,
      requestBody: it.requestBody,
      status: it.status,
      headers: Object.entries(it.headers).flatMap(([name, values]) => values.map((v): [string, string] => [name, v])),
      body: it.body,
    };
  });
}

export function header(exchange: Exchange, name: string): string | undefined {
  return exchange.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}
