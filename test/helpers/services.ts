import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

/**
 * Suites that need a service (PostgreSQL, Chromium) call these. Without the service they are skipped with a one-line
 * notice on a developer machine; under CI=true a missing service is a failure, never a skip.
 */
const inCi = () => process.env.CI === 'true' || process.env.CI === '1';

export const CHROMIUM_PATH = process.env.SNAGSYNC_CHROMIUM ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export function postgresUrl(): string {
  return process.env.SNAGSYNC_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
}

export function postgresAvailable(): boolean {
  try {
    execFileSync('pg_isready', ['-h', '127.0.0.1', '-q'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Returns true when the suite should run; prints the notice (or throws under CI) when it cannot. */
export function requireService(name: 'chromium' | 'postgres'): boolean {
  const ok = name === 'chromium' ? chromiumAvailable() : postgresAvailable();
  if (ok) return true;
  const how =
    name === 'chromium'
      ? `install Debian's chromium (apt-get install -y chromium) or set SNAGSYNC_CHROMIUM`
      : 'start PostgreSQL on 127.0.0.1:5432 or set SNAGSYNC_TEST_PG';
  if (inCi()) throw new Error(`${name} is required under CI=true but is not available: ${how}`);
  process.stderr.write(`[snagsync tests] skipping ${name} suites: ${how} to enable them\n`);
  return false;
}
