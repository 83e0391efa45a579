import { createBugsnagClient, type BugsnagClient, type BugsnagClientOptions } from '../bugsnag/client.js';
import { isSnagError, SnagError, toSnagError } from '../core/errors.js';
import { getLogger, type Logger } from '../core/log.js';
import { toIso } from '../core/time.js';
import { newCredentialId } from '../store/index.js';
import type { Credential, CredentialUpdate, Source } from '../store/models.js';
import { nameKey } from '../core/names.js';
import type { Store } from '../store/repository.js';
import { parseBugsnagCreate, parseBugsnagUpdate } from './bugsnag-type.js';
import { onField } from './credential-type.js';
import { rotateMasterKey, type RotateMasterKeyResult, type Vault } from './vault.js';
import { verifyBugsnagToken, verifyError, type Verification, type VerifyOptions } from './verify.js';
import { parseVerifyError, serializeVerifyError, toView, type CredentialView } from './view.js';

/**
 * The credentials service: every face (CLI now, HTTP API and web UI next, the library) creates, checks and changes
 * credentials through these methods, so the rules live in one place:
 *  - input is validated field by field (errors carry `details.field`, and `details.fields` for all of them);
 *  - a token is verified before it is saved, and before it replaces another one (the old one is kept on failure);
 *  - only views leave the service: never the token, never the envelope.
 */

export interface CredentialServiceOptions {
  store: Store;
  vault: Vault;
  /** The snagsync home and environment: where the master key lives, for key rotation. */
  home: string;
  env?: NodeJS.ProcessEnv;
  /** How verification calls are made (transport, timeout); tests and the server pass their own. */
  verify?: VerifyOptions;
  logger?: Logger;
}

/** Raw input, as a form, the API or the CLI gives it; validated and normalised by the service. */
export interface CredentialInput {
  name?: string;
  description?: string | null;
  token?: string;
  host?: string;
}

export interface SaveOptions {
  /** Default true. False saves without checking (status UNVERIFIED). */
  verify?: boolean;
  signal?: AbortSignal;
}

export interface SaveResult {
  credential: CredentialView;
  /** The check that was made, or null when it was skipped (or not needed, for a name/description change). */
  verification: Verification | null;
  /** What was changed in the input (quotes or prefix removed from the token, the API host chosen). */
  notes: string[];
}

export interface UpdateResult extends SaveResult {
  /** The fields that changed. */
  changed: Array<'name' | 'description' | 'host' | 'token'>;
}

export type ProbeResult =
  | { ok: true; credential: CredentialView; verification: Verification }
  | { ok: false; credential: CredentialView; error: SnagError };

export interface RemoveResult {
  removed: CredentialView;
  /** Sources that used it and were disabled (only with force). */
  disabled_sources: Array<{ id: string; name: string }>;
}

export interface RotateKeyOptions {
  /** Where to write the new key when the current one comes from SNAGSYNC_MASTER_KEY. */
  newKeyFile?: string;
}

export class CredentialService {
  private readonly store: Store;
  private readonly vault: Vault;
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly verifyOptions: VerifyOptions;
  private readonly log: Logger;

  constructor(options: CredentialServiceOptions) {
    this.store = options.store;
    this.vault = options.vault;
    this.home = options.home;
    this.env = options.env ?? process.env;
    this.verifyOptions = options.verify ?? {};
    this.log = options.logger ?? getLogger();
  }

  /**
   * Validates, verifies (unless `verify: false`), seals and saves a new credential. Nothing is saved when the input
   * or the check fails. The name is checked for uniqueness before the token is sent anywhere.
   */
  async createCredential(raw: CredentialInput, options: SaveOptions = {}): Promise<SaveResult> {
    const { input, notes } = parseBugsnagCreate(raw);
    await this.assertNameFree(input.name, null);
    // Sealed first: a missing or wrong master key is reported before the token is sent anywhere.
    const id = newCredentialId();
    const sealed = await this.vault.seal(id, input.token);
    const verification =
      options.verify === false ? null : await this.verify(input.token, input.host.baseUrl, {}, options.signal);
    let saved: Credential;
    try {
      saved = await this.store.credentials.create({
        id,
        name: input.name,
        description: input.description,
        host: input.host.baseUrl,
        ...sealed,
        ...(verification ? verifiedFields(verification) : unverifiedFields()),
      });
    } catch (err) {
      throw nameError(err);
    }
    this.log.info({ credential_id: saved.id, status: saved.verified_status, host: saved.host }, 'credential created');
    return { credential: toView(saved, 0), verification, notes: Object.values(notes) };
  }

  async listCredentials(): Promise<CredentialView[]> {
    const [rows, counts] = await Promise.all([this.store.credentials.list(), this.store.sources.countsByCredential()]);
    return rows.map((c) => toView(c, counts.get(c.id) ?? 0));
  }

  /** By id, or by name (case-insensitive). Unknown → SnagError('missing'). */
  async getCredential(ref: string): Promise<CredentialView> {
    const c = await this.store.credentials.findByNameOrId(ref);
    return toView(c, await this.store.sources.countByCredential(c.id));
  }

  /**
   * Probes a stored credential again and records the outcome: VERIFIED with organizations and rate limit, or FAILED
   * with the reason (a 401 for a token that was verified before is reported as revoked). A failure that says nothing
   * about the credential (rate limited, Bugsnag server error) is reported but leaves the recorded status alone.
   * Throws only when the credential cannot be found or its token cannot be unsealed.
   */
  async testCredential(ref: string, options: { signal?: AbortSignal } = {}): Promise<ProbeResult> {
    const c = await this.store.credentials.findByNameOrId(ref);
    const token = await this.vault.unseal(c);
    const previouslyVerified = workedBefore(c);
    try {
      const verification = await this.verify(
        token,
        c.host,
        { previouslyVerified, credentialName: c.name },
        options.signal,
      );
      const saved = await this.store.credentials.update(c.id, verifiedFields(verification));
      this.log.info(
        { credential_id: c.id, status: 'VERIFIED', latency_ms: verification.latency_ms },
        'credential tested',
      );
      return { ok: true, credential: await this.view(saved), verification };
    } catch (err) {
      if (!isSnagError(err) || err.code === 'aborted' || err.code === 'vault' || err.code === 'internal') throw err;
      const judged = err.details.field !== undefined;
      const saved = judged ? await this.store.credentials.update(c.id, failedFields(err)) : c;
      this.log.info({ credential_id: c.id, status: saved.verified_status, error: err.code }, 'credential test failed');
      return { ok: false, credential: await this.view(saved), error: err };
    }
  }

  /**
   * Changes name, description, host and/or token. A new token, or a new host, is verified first (unless
   * `verify: false`): if the check fails nothing is changed and the old token stays. Without a check, a new token
   * or host leaves the credential UNVERIFIED.
   */
  async updateCredential(ref: string, raw: CredentialInput, options: SaveOptions = {}): Promise<UpdateResult> {
    const current = await this.store.credentials.findByNameOrId(ref);
    const { input, notes } = parseBugsnagUpdate(raw);
    const changed: UpdateResult['changed'] = [];
    const patch: CredentialUpdate = {};
    if (input.name !== undefined && input.name !== current.name) {
      await this.assertNameFree(input.name, current.id);
      patch.name = input.name;
      changed.push('name');
    }
    if (input.description !== undefined && input.description !== current.description) {
      patch.description = input.description;
      changed.push('description');
    }
    const host = input.host?.baseUrl ?? current.host;
    if (host !== current.host) {
      patch.host = host;
      changed.push('host');
    }
    if (input.token !== undefined) changed.push('token');
    if (changed.length === 0) {
      if (Object.keys(input).length === 0) {
        throw new SnagError('usage', 'Nothing to update: no field was given.', {
          hint: 'Give at least one of name, description, host or a new token.',
          details: { field: 'body' },
        });
      }
      return { credential: await this.view(current), verification: null, notes: Object.values(notes), changed };
    }

    let verification: Verification | null = null;
    if (changed.includes('token') || changed.includes('host')) {
      const token = input.token ?? (await this.vault.unseal(current));
      if (input.token !== undefined) Object.assign(patch, await this.vault.seal(current.id, input.token));
      if (options.verify !== false) {
        verification = await this.verify(token, host, { credentialName: current.name }, options.signal);
        Object.assign(patch, verifiedFields(verification));
      } else {
        Object.assign(patch, unverifiedFields());
      }
    }
    let saved: Credential;
    try {
      saved = await this.store.credentials.update(current.id, patch);
    } catch (err) {
      throw nameError(err);
    }
    this.log.info({ credential_id: current.id, changed, status: saved.verified_status }, 'credential updated');
    return { credential: await this.view(saved), verification, notes: Object.values(notes), changed };
  }

  /** Refused (conflict) while a source uses the credential, unless `force`, which disables those sources. */
  async removeCredential(ref: string, options: { force?: boolean } = {}): Promise<RemoveResult> {
    const c = await this.store.credentials.findByNameOrId(ref);
    const count = await this.store.sources.countByCredential(c.id);
    const { removed, disabledSources } = await this.store.credentials.remove(c.id, { force: options.force === true });
    this.log.info({ credential_id: c.id, disabled_sources: disabledSources.length }, 'credential removed');
    return {
      removed: toView(removed, count),
      disabled_sources: disabledSources.map((s: Source) => ({ id: s.id, name: s.name })),
    };
  }

  /** Re-seals every stored token under a new master key, atomically (see vault-rotate.ts). */
  async rotateKey(options: RotateKeyOptions = {}): Promise<RotateMasterKeyResult> {
    const result = await rotateMasterKey({
      home: this.home,
      env: this.env,
      store: this.store.credentials,
      ...(options.newKeyFile ? { newKeyFile: options.newKeyFile } : {}),
    });
    this.log.info(
      { new_key_id: result.newKeyId, resealed: result.resealed, source: result.source },
      'master key rotated',
    );
    return result;
  }

  /** The plaintext token, for the sync engine (registered as a secret before it is returned). Never for display. */
  async resolveToken(credential: Credential | string): Promise<string> {
    const c = typeof credential === 'string' ? await this.store.credentials.findByNameOrId(credential) : credential;
    return this.vault.unseal(c);
  }

  /** A Data Access API client for a stored credential (its host and unsealed token). */
  /**
   * A token refusal (401) met while using a stored credential, named as a check of it names it (one classification
   * everywhere): \`auth_revoked\` when the token worked before, else \`auth_invalid\` or \`auth_project_key\`. Other
   * errors come back unchanged. Records nothing.
   */
  async explainTokenRefusal(ref: string, err: unknown): Promise<SnagError> {
    const e = toSnagError(err);
    if (e.status !== 401 || !TOKEN_REFUSALS.has(e.code)) return e;
    const c = await this.store.credentials.findByNameOrId(ref);
    const token = await this.vault.unseal(c);
    return verifyError(e, token, c.host, { previouslyVerified: workedBefore(c), credentialName: c.name });
  }

  async clientFor(
    credential: Credential | string,
    options: Omit<BugsnagClientOptions, 'token' | 'host'> = {},
  ): Promise<BugsnagClient> {
    const c = typeof credential === 'string' ? await this.store.credentials.findByNameOrId(credential) : credential;
    return createBugsnagClient({ ...options, token: await this.vault.unseal(c), host: c.host });
  }

  private async verify(
    token: string,
    host: string,
    context: { previouslyVerified?: boolean; credentialName?: string },
    signal: AbortSignal | undefined,
  ): Promise<Verification> {
    return verifyBugsnagToken(token, host, context, { ...this.verifyOptions, ...(signal ? { signal } : {}) });
  }

  private async view(c: Credential): Promise<CredentialView> {
    return toView(c, await this.store.sources.countByCredential(c.id));
  }

  private async assertNameFree(name: string, ownId: string | null): Promise<void> {
    const key = nameKey(name);
    const taken = (await this.store.credentials.list()).find((c) => c.id !== ownId && nameKey(c.name) === key);
    if (taken) {
      throw new SnagError(
        'conflict',
        `A credential named "${taken.name}" already exists (${taken.id}); names are unique regardless of case.`,
        {
          hint: 'Choose another name, or change the existing credential instead.',
          details: { field: 'name', entity: 'credential', existing_id: taken.id },
        },
      );
    }
  }
}

export function createCredentialService(options: CredentialServiceOptions): CredentialService {
  return new CredentialService(options);
}

/** The verification columns, set together. */
interface StatusFields {
  verified_status: 'VERIFIED' | 'UNVERIFIED';
  verified_at: string | null;
  verify_error: null;
  organizations: Verification['organizations'];
  rate_limit: Verification['rate_limit'];
}

function verifiedFields(v: Verification): StatusFields {
  return {
    verified_status: 'VERIFIED',
    verified_at: v.checked_at,
    verify_error: null,
    organizations: v.organizations,
    rate_limit: v.rate_limit,
  };
}

/** The verification columns of a failed check (the rest — organizations, rate limit — stay as last seen). */
export function failedFields(
  err: SnagError,
  at: Date | number = Date.now(),
): Pick<CredentialUpdate, 'verified_status' | 'verified_at' | 'verify_error'> {
  return { verified_status: 'FAILED', verified_at: toIso(at), verify_error: serializeVerifyError(err) };
}

/**
 * Bugsnag refused the credential's token outside a test — a sync's 401 — so record it FAILED with that reason, as a
 * failed `credentials test` would: no face keeps showing a dead token as valid. The reason goes on the token field,
 * where a test puts its 401s. Skipped (null) when the credential no longer holds the token that was refused (replaced
 * or moved to another host while the sync ran): the old token's failure says nothing about the new one. A later
 * successful test or token update sets it VERIFIED again.
 */
export async function recordTokenRejected(store: Store, used: Credential, err: SnagError): Promise<Credential | null> {
  const current = await store.credentials.get(used.id);
  if (!current || current.token_envelope !== used.token_envelope || current.host !== used.host) return null;
  return store.credentials.update(used.id, failedFields(onField(err, 'token')));
}

/**
 * A sync whose requests Bugsnag answered with this credential's token proves the token works: record VERIFIED, so a
 * credential marked FAILED by an earlier 401 (or saved UNVERIFIED) does not stay so until someone runs a test.
 * Organizations and the rate limit keep their last tested values. Skipped, like a rejection, when the credential no
 * longer holds the token the sync used.
 */
export async function recordTokenAccepted(
  store: Store,
  used: Credential,
  at: Date | number = Date.now(),
): Promise<Credential | null> {
  const current = await store.credentials.get(used.id);
  if (!current || current.token_envelope !== used.token_envelope || current.host !== used.host) return null;
  if (current.verified_status === 'VERIFIED') return null;
  return store.credentials.update(used.id, { verified_status: 'VERIFIED', verified_at: toIso(at), verify_error: null });
}

function unverifiedFields(): StatusFields {
  return { verified_status: 'UNVERIFIED', verified_at: null, verify_error: null, organizations: [], rate_limit: null };
}

/** The store's own name checks (a race with another writer) reported on the name field. */
function nameError(err: unknown): unknown {
  if (isSnagError(err) && (err.code === 'conflict' || err.code === 'config') && err.details.entity === 'credential') {
    return err.code === 'conflict' && err.details.name !== undefined ? onField(err, 'name') : err;
  }
  return err;
}

const TOKEN_REFUSALS = new Set(['auth_invalid', 'auth_revoked', 'auth_project_key']);

/** The token was accepted by Bugsnag before: a 401 now means it was revoked (not mistyped). */
function workedBefore(c: Credential): boolean {
  return (
    c.verified_status === 'VERIFIED' ||
    (c.verified_status === 'FAILED' && parseVerifyError(c.verify_error)?.error === 'auth_revoked')
  );
}
