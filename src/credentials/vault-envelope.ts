import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SnagError } from '../core/errors.js';
import type { MasterKey } from './keyfile.js';

/**
 * The sealed form of a token, stored in the metadata database:
 *
 *   snagsync:v1:<keyId>:<credentialId>:<iv>:<ciphertext>:<tag>
 *
 * AES-256-GCM with a random 96-bit IV; iv, ciphertext and tag in base64url. The header
 * `snagsync:v1:<keyId>:<credentialId>` is the additional authenticated data: it is readable (so a wrong key or an
 * envelope copied to another credential is reported precisely, before any decryption), and it cannot be edited
 * without the tag check failing.
 */
export const ENVELOPE_PREFIX = 'snagsync';
export const ENVELOPE_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface ParsedEnvelope {
  version: string;
  keyId: string;
  credentialId: string;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
  header: string;
}

export function sealEnvelope(key: MasterKey, credentialId: string, token: string): string {
  // A source id seals its webhook secret (engine/webhooks/secret.ts): the same envelope, bound to the source; an
  // `ntf_` id a notification URL (engine/notify/settings.ts).
  if (!/^(cred|src|ntf)_[0-9a-z]+$/.test(credentialId)) {
    throw new SnagError('internal', `Cannot seal a token for "${credentialId}": not a credential or source id.`);
  }
  const header = `${ENVELOPE_PREFIX}:${ENVELOPE_VERSION}:${key.id}:${credentialId}`;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(header, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return [header, b64(iv), b64(ciphertext), b64(cipher.getAuthTag())].join(':');
}

/** Splits an envelope; anything that is not a snagsync envelope of a known version is a clear vault error. */
export function parseEnvelope(text: string, credentialName: string): ParsedEnvelope {
  const parts = text.split(':');
  if (parts[0] !== ENVELOPE_PREFIX || parts.length < 2) throw damaged(credentialName, 'it is not a snagsync envelope');
  if (parts[1] !== ENVELOPE_VERSION) {
    throw new SnagError(
      'vault',
      `The stored token of credential "${credentialName}" uses envelope version ${parts[1]}, which this snagsync cannot read.`,
      {
        hint: 'It was written by a newer snagsync: upgrade snagsync.',
      },
    );
  }
  if (parts.length !== 7) throw damaged(credentialName, `it has ${parts.length} fields instead of 7`);
  const [, version, keyId, credentialId, iv, ct, tag] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const parsed = {
    version,
    keyId,
    credentialId,
    iv: unb64(iv),
    ciphertext: unb64(ct),
    tag: unb64(tag),
    header: parts.slice(0, 4).join(':'),
  };
  if (!/^[0-9a-f]{16}$/.test(keyId) || parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES) {
    throw damaged(credentialName, 'its fields have the wrong size');
  }
  return parsed;
}

/** Decrypts with the given key; a failed tag check (edited or damaged envelope) is a clear vault error. */
export function openEnvelope(key: MasterKey, envelope: ParsedEnvelope, credentialName: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, envelope.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(envelope.header, 'utf8'));
    decipher.setAuthTag(envelope.tag);
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new SnagError(
      'vault',
      `The stored token of credential "${credentialName}" failed its integrity check: the envelope was modified or damaged.`,
      {
        hint: `Enter the token again: snagsync credentials update "${credentialName}" --token-stdin`,
        serverHint: serverReenter(credentialName),
      },
    );
  }
}

function damaged(credentialName: string, why: string): SnagError {
  return new SnagError('vault', `The stored token of credential "${credentialName}" is unreadable: ${why}.`, {
    hint: `The metadata store was edited or damaged. Enter the token again: snagsync credentials update "${credentialName}" --token-stdin`,
    serverHint: `The metadata store was edited or damaged. ${serverReenter(credentialName)}`,
  });
}

function b64(buf: Buffer): string {
  return buf.toString('base64url');
}

function unb64(text: string): Buffer {
  return /^[A-Za-z0-9_-]*$/.test(text) ? Buffer.from(text, 'base64url') : Buffer.alloc(0);
}

/** The HTTP API's and the web UI's way to enter a token again (the CLI's is `credentials update --token-stdin`). */
export function serverReenter(credentialName: string): string {
  return `Enter the token again: "Replace token" on the tile of "${credentialName}" in the web UI, or PUT /api/data_credentials/{id} with a new auth_token.`;
}
