import { SnagError } from '../../core/errors.js';
import { toIso } from '../../core/time.js';
import { credentialInUse, notFound } from '../errors.js';
import { Credential, CredentialCreate, CredentialUpdate } from '../models.js';
import type { SealedTokenFields, Source } from '../models.js';
import { nameKey, validateDescription, validateName } from '../names.js';
import type {
  CredentialRemoval,
  CredentialRepository,
  NotificationUrlEnvelope,
  RekeyPlan,
  WebhookSecretEnvelope,
} from '../repository.js';
import { parseInput, parseJsonColumn, parseRow } from '../validate.js';
import type { Db } from './connection.js';
import { NamedSqliteRepo } from './base.js';
import type { SourceRows } from './sources.js';

interface CredentialRow {
  id: string;
  name: string;
  description: string | null;
  connector: string;
  host: string;
  token_envelope: string;
  token_key_id: string;
  token_last4: string;
  verified_status: string;
  verified_at: string | null;
  verify_error: string | null;
  organizations: string;
  rate_limit: string | null;
  created_at: string;
  updated_at: string;
}

const COLUMNS = `id, name, description, connector, host, token_envelope, token_key_id, token_last4, verified_status,
  verified_at, verify_error, organizations, rate_limit, created_at, updated_at`;

export class SqliteCredentials extends NamedSqliteRepo<CredentialRow, Credential> implements CredentialRepository {
  protected readonly table = 'credentials';
  protected readonly entity = 'credential';
  protected readonly columns = COLUMNS;

  constructor(
    db: Db,
    location: string,
    private readonly sources: SourceRows,
  ) {
    super(db, location);
  }

  async create(input: CredentialCreate): Promise<Credential> {
    const c = parseInput(CredentialCreate, input, 'credential');
    const name = validateName(c.name, 'credential');
    const description = validateDescription(c.description, 'credential');
    const now = toIso(Date.now());
    this.tx(() => {
      this.assertNameFree(name, null);
      if (this.row(c.id)) {
        throw new SnagError('conflict', `A credential with the id ${c.id} already exists.`, {
          hint: 'Use a new id (newCredentialId()).',
        });
      }
      this.assertSameKey(c.token_key_id, c.id);
      this.stmt(
        `INSERT INTO credentials (${COLUMNS}, name_key) VALUES (@id, @name, @description, @connector, @host, @token_envelope,
           @token_key_id, @token_last4, @verified_status, @verified_at, @verify_error, @organizations, @rate_limit,
           @created_at, @updated_at, @name_key)`,
      ).run({
        ...c,
        name,
        name_key: nameKey(name),
        description,
        organizations: JSON.stringify(c.organizations),
        rate_limit: c.rate_limit === null ? null : JSON.stringify(c.rate_limit),
        created_at: now,
        updated_at: now,
      });
    });
    return this.mustGet(c.id);
  }

  async list(): Promise<Credential[]> {
    const rows = this.guard(
      () => this.stmt(`SELECT ${COLUMNS} FROM credentials ORDER BY name_key`).all() as CredentialRow[],
    );
    return rows.map((r) => this.toModel(r));
  }

  async update(id: string, patch: CredentialUpdate): Promise<Credential> {
    const p = parseInput(CredentialUpdate, patch, 'credential update');
    this.tx(() => {
      const current = this.row(id);
      if (!current) throw notFound('credential', id);
      const sets: string[] = [];
      const params: Record<string, unknown> = { id, updated_at: toIso(Date.now()) };
      const set = (column: string, value: unknown) => {
        sets.push(`${column} = @${column}`);
        params[column] = value;
      };
      if (p.name !== undefined) {
        const name = validateName(p.name, 'credential');
        this.assertNameFree(name, id);
        set('name', name);
        set('name_key', nameKey(name));
      }
      if (p.description !== undefined) set('description', validateDescription(p.description, 'credential'));
      if (p.host !== undefined) set('host', p.host);
      if (p.token_envelope !== undefined && p.token_key_id !== undefined && p.token_last4 !== undefined) {
        this.assertSameKey(p.token_key_id, id);
        set('token_envelope', p.token_envelope);
        set('token_key_id', p.token_key_id);
        set('token_last4', p.token_last4);
      }
      if (p.verified_status !== undefined) set('verified_status', p.verified_status);
      if (p.verified_at !== undefined) set('verified_at', p.verified_at);
      if (p.verify_error !== undefined) set('verify_error', p.verify_error);
      if (p.organizations !== undefined) set('organizations', JSON.stringify(p.organizations));
      if (p.rate_limit !== undefined) set('rate_limit', p.rate_limit === null ? null : JSON.stringify(p.rate_limit));
      if (sets.length === 0) return;
      sets.push('updated_at = @updated_at');
      this.stmt(`UPDATE credentials SET ${sets.join(', ')} WHERE id = @id`).run(params);
    });
    return this.mustGet(id);
  }

  async remove(id: string, options: { force?: boolean } = {}): Promise<CredentialRemoval> {
    return this.tx(() => {
      const row = this.row(id);
      if (!row) throw notFound('credential', id);
      const removed = this.toModel(row);
      const users = this.sources.byCredentialNow(id);
      if (users.length > 0 && !options.force) {
        throw credentialInUse(removed.name, users);
      }
      const disabledSources: Source[] = users.length
        ? this.sources.disableByCredentialNow(id, `its credential "${removed.name}" was removed`)
        : [];
      this.stmt('DELETE FROM credentials WHERE id = ?').run(id);
      return { removed, disabledSources };
    });
  }

  async keyIdsInUse(): Promise<string[]> {
    return this.guard(() =>
      (this.stmt('SELECT DISTINCT token_key_id AS k FROM credentials ORDER BY k').all() as Array<{ k: string }>).map(
        (r) => r.k,
      ),
    );
  }

  async rekey(plan: RekeyPlan): Promise<number> {
    return this.tx(() => {
      const rows = this.stmt(`SELECT ${COLUMNS} FROM credentials ORDER BY id`).all() as CredentialRow[];
      const update = this.stmt(
        'UPDATE credentials SET token_envelope = @token_envelope, token_key_id = @token_key_id, token_last4 = @token_last4 WHERE id = @id',
      );
      let changed = 0;
      for (const row of rows) {
        const sealed: SealedTokenFields | null = plan.reseal(this.toModel(row));
        if (!sealed) continue;
        update.run({ id: row.id, ...sealed });
        changed++;
      }
      if (plan.resealWebhookSecret) {
        const secrets = this.stmt(
          'SELECT source_id, secret_envelope, secret_key_id FROM webhook_settings ORDER BY source_id',
        ).all() as WebhookSecretEnvelope[];
        const rewrite = this.stmt(
          'UPDATE webhook_settings SET secret_envelope = ?, secret_key_id = ? WHERE source_id = ?',
        );
        for (const s of secrets) {
          const sealed = plan.resealWebhookSecret(s);
          if (sealed) rewrite.run(sealed.secret_envelope, sealed.secret_key_id, s.source_id);
        }
      }
      if (plan.resealNotificationUrl) {
        const urls = this.stmt(
          'SELECT scope, url_envelope, url_key_id FROM notifications ORDER BY scope',
        ).all() as NotificationUrlEnvelope[];
        const rewrite = this.stmt('UPDATE notifications SET url_envelope = ?, url_key_id = ? WHERE scope = ?');
        for (const n of urls) {
          const sealed = plan.resealNotificationUrl(n);
          if (sealed) rewrite.run(sealed.url_envelope, sealed.url_key_id, n.scope);
        }
      }
      plan.beforeCommit?.();
      return changed;
    });
  }

  /**
   * Refuses to store an envelope sealed with a different master key than the others: it happens only when the key
   * was rotated (or replaced) between sealing and saving, and the row would become unreadable.
   */
  private assertSameKey(keyId: string, ownId: string): void {
    const other = this.stmt(
      'SELECT token_key_id AS k FROM credentials WHERE token_key_id <> ? AND id <> ? LIMIT 1',
    ).get(keyId, ownId) as { k: string } | undefined;
    if (other) {
      throw new SnagError(
        'vault',
        `The token was sealed with master key ${keyId}, but the stored credentials use key ${other.k}.`,
        {
          hint: 'The master key was rotated or replaced while this command ran. Run the command again.',
          details: { key_id: keyId, store_key_id: other.k },
        },
      );
    }
  }

  protected toModel(row: CredentialRow): Credential {
    return parseRow(
      Credential,
      {
        ...row,
        organizations: parseJsonColumn(row.organizations, 'organizations'),
        rate_limit: parseJsonColumn(row.rate_limit, 'rate_limit'),
      },
      'credential',
      this.location,
    );
  }
}
