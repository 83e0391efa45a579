import { SnagError } from '../../core/errors.js';
import { toIso } from '../../core/time.js';
import { credentialInUse, notFound } from '../errors.js';
import { Credential, CredentialCreate, CredentialUpdate } from '../models.js';
import type { SealedTokenFields } from '../models.js';
import { nameKey, validateDescription, validateName } from '../names.js';
import type {
  CredentialRemoval,
  CredentialRepository,
  NotificationUrlEnvelope,
  RekeyPlan,
  WebhookSecretEnvelope,
} from '../repository.js';
import { parseInput, parseRow } from '../validate.js';
import { isoOrNull, NamedPgRepo, type PgContext } from './base.js';
import type { Queryable } from './connection.js';
import { ADVISORY_LOCK_CLASS } from './migrations.js';
import type { PgSources } from './sources.js';

export const CREDENTIAL_COLUMNS = `id, name, description, connector, host, token_envelope, token_key_id, token_last4, verified_status,
  verified_at, verify_error, organizations, rate_limit, created_at, updated_at`;

export class PgCredentials extends NamedPgRepo<Credential> implements CredentialRepository {
  protected readonly table = 'credentials';
  protected readonly entity = 'credential';
  protected readonly columns = CREDENTIAL_COLUMNS;

  constructor(
    ctx: PgContext,
    private readonly sources: PgSources,
  ) {
    super(ctx);
  }

  async create(input: CredentialCreate): Promise<Credential> {
    const c = parseInput(CredentialCreate, input, 'credential');
    const name = validateName(c.name, 'credential');
    const description = validateDescription(c.description, 'credential');
    const now = toIso(Date.now());
    return this.tx(async (db) => {
      await this.lockCredentials(db);
      await this.assertNameFree(name, null, db);
      if (await this.row(c.id, db)) {
        throw new SnagError('conflict', `A credential with the id ${c.id} already exists.`, {
          hint: 'Use a new id (newCredentialId()).',
        });
      }
      await this.assertSameKey(c.token_key_id, c.id, db);
      await this.q(
        `INSERT INTO credentials (${CREDENTIAL_COLUMNS}, name_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
        [
          c.id,
          name,
          description,
          c.connector,
          c.host,
          c.token_envelope,
          c.token_key_id,
          c.token_last4,
          c.verified_status,
          c.verified_at,
          c.verify_error,
          JSON.stringify(c.organizations),
          c.rate_limit === null ? null : JSON.stringify(c.rate_limit),
          now,
          now,
          nameKey(name),
        ],
        db,
      );
      return this.mustGet(c.id, db);
    });
  }

  async list(): Promise<Credential[]> {
    const rows = await this.q(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials ORDER BY name_key COLLATE "C"`);
    return rows.map((r) => this.toModel(r));
  }

  async update(id: string, patch: CredentialUpdate): Promise<Credential> {
    const p = parseInput(CredentialUpdate, patch, 'credential update');
    return this.tx(async (db) => {
      await this.lockCredentials(db);
      const current = await this.row(id, db, true);
      if (!current) throw notFound('credential', id);
      const sets: string[] = [];
      const params: unknown[] = [id, toIso(Date.now())];
      const set = (column: string, value: unknown) => {
        params.push(value);
        sets.push(`${column} = $${params.length}`);
      };
      if (p.name !== undefined) {
        const name = validateName(p.name, 'credential');
        await this.assertNameFree(name, id, db);
        set('name', name);
        set('name_key', nameKey(name));
      }
      if (p.description !== undefined) set('description', validateDescription(p.description, 'credential'));
      if (p.host !== undefined) set('host', p.host);
      if (p.token_envelope !== undefined && p.token_key_id !== undefined && p.token_last4 !== undefined) {
        await this.assertSameKey(p.token_key_id, id, db);
        set('token_envelope', p.token_envelope);
        set('token_key_id', p.token_key_id);
        set('token_last4', p.token_last4);
      }
      if (p.verified_status !== undefined) set('verified_status', p.verified_status);
      if (p.verified_at !== undefined) set('verified_at', p.verified_at);
      if (p.verify_error !== undefined) set('verify_error', p.verify_error);
      if (p.organizations !== undefined) set('organizations', JSON.stringify(p.organizations));
      if (p.rate_limit !== undefined) set('rate_limit', p.rate_limit === null ? null : JSON.stringify(p.rate_limit));
      if (sets.length > 0)
        await this.q(`UPDATE credentials SET ${sets.join(', ')}, updated_at = $2 WHERE id = $1`, params, db);
      return this.mustGet(id, db);
    });
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<CredentialRemoval> {
    return this.tx(async (db) => {
      const row = await this.row(id, db, true);
      if (!row) throw notFound('credential', id);
      const removed = this.toModel(row);
      const users = await this.sources.byCredential(id, db);
      if (users.length > 0 && !options.force) {
        throw credentialInUse(removed.name, users);
      }
      const disabledSources = users.length
        ? await this.sources.disableWithin(db, id, `its credential "${removed.name}" was removed`)
        : [];
      await this.q('DELETE FROM credentials WHERE id = $1', [id], db);
      return { removed, disabledSources };
    });
  }

  async keyIdsInUse(): Promise<string[]> {
    const rows = await this.q<{ k: string }>(
      'SELECT DISTINCT token_key_id COLLATE "C" AS k FROM credentials ORDER BY k',
    );
    return rows.map((r) => r.k);
  }

  async rekey(plan: RekeyPlan): Promise<number> {
    return this.tx(async (db) => {
      await this.lockCredentials(db);
      const rows = await this.q(`SELECT ${CREDENTIAL_COLUMNS} FROM credentials ORDER BY id FOR UPDATE`, [], db);
      let changed = 0;
      for (const row of rows) {
        const sealed: SealedTokenFields | null = plan.reseal(this.toModel(row));
        if (!sealed) continue;
        await this.q(
          'UPDATE credentials SET token_envelope = $2, token_key_id = $3, token_last4 = $4 WHERE id = $1',
          [row.id, sealed.token_envelope, sealed.token_key_id, sealed.token_last4],
          db,
        );
        changed++;
      }
      if (plan.resealWebhookSecret) {
        const secrets = await this.q<WebhookSecretEnvelope>(
          'SELECT source_id, secret_envelope, secret_key_id FROM webhook_settings ORDER BY source_id COLLATE "C" FOR UPDATE',
          [],
          db,
        );
        for (const s of secrets) {
          const sealed = plan.resealWebhookSecret(s);
          if (sealed)
            await this.q(
              'UPDATE webhook_settings SET secret_envelope = $2, secret_key_id = $3 WHERE source_id = $1',
              [s.source_id, sealed.secret_envelope, sealed.secret_key_id],
              db,
            );
        }
      }
      if (plan.resealNotificationUrl) {
        const urls = await this.q<NotificationUrlEnvelope>(
          'SELECT scope, url_envelope, url_key_id FROM notifications ORDER BY scope COLLATE "C" FOR UPDATE',
          [],
          db,
        );
        for (const n of urls) {
          const sealed = plan.resealNotificationUrl(n);
          if (sealed)
            await this.q(
              'UPDATE notifications SET url_envelope = $2, url_key_id = $3 WHERE scope = $1',
              [n.scope, sealed.url_envelope, sealed.url_key_id],
              db,
            );
        }
      }
      plan.beforeCommit?.();
      return changed;
    });
  }

  /**
   * Credential writes of the whole cluster take turns: the same-key check and the unique-name check then see every
   * committed row, as SQLite's single writer guaranteed.
   */
  async lockCredentials(db: Queryable): Promise<void> {
    await this.q(
      'SELECT pg_advisory_xact_lock($1, hashtext($2))',
      [ADVISORY_LOCK_CLASS, `credentials:${this.ctx.schema}`],
      db,
    );
  }

  /**
   * Refuses to store an envelope sealed with a different master key than the others: it happens only when the key
   * was rotated (or replaced, or another machine of the cluster has another key) between sealing and saving, and
   * the row would become unreadable to the others.
   */
  private async assertSameKey(keyId: string, ownId: string, db: Queryable): Promise<void> {
    const [other] = await this.q<{ k: string }>(
      'SELECT token_key_id AS k FROM credentials WHERE token_key_id <> $1 AND id <> $2 LIMIT 1',
      [keyId, ownId],
      db,
    );
    if (other) {
      throw new SnagError(
        'vault',
        `The token was sealed with master key ${keyId}, but the stored credentials use key ${other.k}.`,
        {
          hint: 'The master key was rotated or replaced while this command ran, or this machine has another master key than the rest of the cluster. Run the command again with the key the store uses.',
          details: { key_id: keyId, store_key_id: other.k },
        },
      );
    }
  }

  protected toModel(row: Record<string, unknown>): Credential {
    return parseRow(
      Credential,
      {
        ...row,
        verified_at: isoOrNull(row.verified_at),
        created_at: isoOrNull(row.created_at),
        updated_at: isoOrNull(row.updated_at),
      },
      'credential',
      this.location,
    );
  }
}
