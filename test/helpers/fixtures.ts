import { readFileSync } from 'node:fs';

/**
 * Reference data the tests compare against, derived into `test/fixtures/` by `scripts/derive-fixtures.ts` and
 * committed (origins and licences: `test/fixtures/SOURCES.md`). Resolved from this file, so any working directory works.
 */
export function readFixture<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8')) as T;
}

/** One recorded interaction of Bugsnag's own Ruby client test suite (`bugsnag/exchanges.json`). */
export interface RecordedExchange {
  /** Cassette path relative to the cassette folder, and position in it. */
  file: string;
  index: number;
  method: string;
  uri: string;
  requestBody: string;
  status: number;
  headers: Record<string, string[]>;
  /** The response body exactly as recorded (JSON text, or empty). */
  body: string;
}

export function recordedExchanges(): RecordedExchange[] {
  return readFixture<{ exchanges: RecordedExchange[] }>('bugsnag/exchanges.json').exchanges;
}
