import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newCredentialId } from '../../src/store/index.js';
import type { CredentialCreate } from '../../src/store/index.js';

/** A fresh temp folder per test, removed afterwards by the returned cleanup. */
export function tempDir(prefix = 'snagsync-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A credential input with a placeholder envelope (store tests do not need real encryption). */
export function credentialInput(name: string, overrides: Partial<CredentialCreate> = {}): CredentialCreate {
  return {
    id: newCredentialId(),
    name,
    host: 'https://api.bugsnag.com',
    token_envelope: 'snagsync:v1:placeholder',
    token_key_id: 'k1',
    token_last4: 'abcd',
    verified_status: 'VERIFIED',
    verified_at: '2024-05-01T10:00:00Z',
    organizations: [{ id: 'org1', name: 'Acme', slug: 'acme' }],
    ...overrides,
  };
}
