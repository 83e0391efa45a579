import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { toIso } from '../../core/time.js';
import {
  generateMasterKey,
  keyFilePath,
  loadKeyring,
  writeKeyFileExclusive,
  type MasterKey,
} from '../../credentials/keyfile.js';
import { openEnvelope, parseEnvelope, sealEnvelope } from '../../credentials/vault-envelope.js';
import type { Runtime } from '../../runtime.js';
import { ensureHome } from '../../store/home.js';
import type { WebhookSettings } from '../../store/webhooks.js';

/**
 * A source's webhook secret: 256 random bits (base64url, 43 characters) in the URL Bugsnag posts to, because Bugsnag
 * cannot sign its webhooks. Stored twice: sealed by the vault's master key, so the URL can be shown again (the web UI,
 * `sources webhook`), and as its sha256, which is what a received URL is checked against — receiving never opens the
 * envelope, and the comparison is constant-time on equal-length digests.
 */

export const SECRET_BYTES = 32;
export const WEBHOOK_PREFIX = '/hooks/bugsnag';

/** Where Bugsnag posts a source's messages on `serve`: the path the web UI, the API and the CLI show. */
export function webhookPath(sourceId: string, secret: string): string {
  return `${WEBHOOK_PREFIX}/${sourceId}/${secret}`;
}

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `presented` is the secret whose digest is `sha256`: constant-time, whatever `presented`'s length. */
export function secretMatches(presented: string, sha256: string): boolean {
  const given = createHash('sha256').update(presented, 'utf8').digest();
  const stored = Buffer.from(sha256, 'hex');
  return stored.length === given.length && timingSafeEqual(given, stored);
}

export interface WebhookSecret {
  settings: WebhookSettings;
  secret: string;
}

/** The source's webhook settings and secret, created (enabled, with a new secret) on first use. */
export async function ensureWebhook(runtime: Runtime, sourceId: string): Promise<WebhookSecret> {
  const existing = await runtime.store.webhooks.get(sourceId);
  if (existing) return { settings: existing, secret: openSecret(runtime, existing) };
  return newSecret(runtime, sourceId, null);
}

/** Replaces the secret: the old URL answers 404 from now on. Keeps the switch as it was. */
export async function rotateWebhook(runtime: Runtime, sourceId: string): Promise<WebhookSecret> {
  return newSecret(runtime, sourceId, await runtime.store.webhooks.get(sourceId));
}

async function newSecret(runtime: Runtime, sourceId: string, before: WebhookSettings | null): Promise<WebhookSecret> {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  registerSecret(secret);
  const key = await sealingKey(runtime);
  const now = toIso(Date.now());
  const settings = await runtime.store.webhooks.save({
    source_id: sourceId,
    enabled: before?.enabled ?? true,
    secret_envelope: sealEnvelope(key, sourceId, secret),
    secret_key_id: key.id,
    secret_sha256: secretDigest(secret),
    created_at: before?.created_at ?? now,
    rotated_at: now,
  });
  return { settings, secret };
}

function openSecret(runtime: Runtime, s: WebhookSettings): string {
  try {
    const envelope = parseEnvelope(s.secret_envelope, s.source_id);
    if (envelope.credentialId !== s.source_id) throw new Error('bound to another source');
    const key = loadKeyring(runtime.home, runtime.env).all.find((k) => k.id === envelope.keyId);
    if (!key) throw new Error(`no master key ${envelope.keyId}`);
    const secret = openEnvelope(key, envelope, s.source_id);
    registerSecret(secret);
    return secret;
  } catch (err) {
    throw new SnagError(
      'vault',
      `The webhook secret of source ${s.source_id} cannot be opened (sealed with master key ${s.secret_key_id}, which this process does not have, or damaged).`,
      {
        hint: 'Rotate the webhook secret (snagsync sources webhook SOURCE --rotate) and give Bugsnag the new URL.',
        serverHint:
          'Rotate the webhook secret (POST /api/data_sources/{id}/webhook/rotate) and give Bugsnag the new URL.',
        cause: err,
      },
    );
  }
}

/** The key the store's credentials are sealed with when this process has it, else the primary (created if none). */
export async function sealingKey(runtime: Runtime): Promise<MasterKey> {
  const inUse = await runtime.store.credentials.keyIdsInUse();
  let ring = loadKeyring(runtime.home, runtime.env);
  if (!ring.primary && inUse.length === 0) {
    ensureHome(runtime.home);
    writeKeyFileExclusive(keyFilePath(runtime.home), generateMasterKey());
    ring = loadKeyring(runtime.home, runtime.env);
  }
  const key = ring.all.find((k) => inUse.includes(k.id)) ?? ring.primary;
  if (!key) {
    throw new SnagError('vault', 'No master key to seal the webhook secret with.', {
      hint: 'Restore master.key into the snagsync home, or set SNAGSYNC_MASTER_KEY.',
    });
  }
  return key;
}
