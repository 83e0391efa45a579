import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDestination } from '../../src/destinations/index.js';
import { ensureWebhook } from '../../src/engine/webhooks/secret.js';
import type { Runtime } from '../../src/runtime.js';
import { newCredentialId } from '../../src/store/index.js';

/** The webhook suites' shared pieces: the fixtures, a source with a real sealed credential, a destination reader. */

export const FIXTURES = join(import.meta.dirname, '../fixtures/bugsnag-webhook');
export const PROJECT_ID = '5a2fc37fd1befa003981d5b9';
export const TOKEN = 'webhook-suite-token-0123456789abcdefXYZ';

/** A fixture body as the tests change it (the error's fields the tests touch are all strings). */
export interface FixtureBody {
  trigger: Record<string, unknown>;
  project: Record<string, unknown>;
  error: Record<string, string>;
  [field: string]: unknown;
}

/** A fixture body, parsed, to be changed and posted. */
export function fixture(trigger: string): FixtureBody {
  return JSON.parse(readFileSync(join(FIXTURES, `${trigger}.json`), 'utf8')) as FixtureBody;
}

export async function webhookSource(
  runtime: Runtime,
  dataDir: string,
  config: Record<string, unknown> = { projects: [PROJECT_ID], streams: ['errors', 'events', 'comments', 'releases'] },
  /** A destination URL; default a SQLite file in `dataDir`. */
  destinationUrl?: string,
): Promise<{ sourceId: string; destination: string; path: string; secret: string }> {
  const id = newCredentialId();
  const sealed = await runtime.vault.seal(id, TOKEN);
  await runtime.store.credentials.create({
    id,
    name: `cred-${id.slice(-6)}`,
    host: 'http://127.0.0.1:9',
    ...sealed,
    verified_status: 'VERIFIED',
    verified_at: '2026-01-15T00:00:00Z',
    organizations: [{ id: '515fb9337c1074f6fd000001', name: 'Acme', slug: 'acme' }],
  });
  const destination = destinationUrl ?? `sqlite:${join(dataDir, `data-${id.slice(-6)}.db`)}`;
  const source = await runtime.store.sources.create({
    name: `webhooks-${id.slice(-6)}`,
    credential_id: id,
    destination,
    config,
  });
  const w = await ensureWebhook(runtime, source.id);
  return { sourceId: source.id, destination, path: `/hooks/bugsnag/${source.id}/${w.secret}`, secret: w.secret };
}

export async function rows(destination: string, stream: string): Promise<Array<Record<string, unknown>>> {
  const d = await openDestination(destination, { readOnly: true });
  try {
    return await d.listRecords(stream);
  } finally {
    await d.close();
  }
}

/** Waits until `check` holds, polling every 20 ms, failing after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | false | null | undefined>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
