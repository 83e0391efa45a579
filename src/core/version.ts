import { createRequire } from 'node:module';

// Works from src/core (tsx) and dist/core (compiled): package.json is two levels up in both.
const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };

export const VERSION: string = pkg.version;
export const USER_AGENT = `snagsync/${VERSION}`;
