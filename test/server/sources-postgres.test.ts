import { describe, expect, it } from 'vitest';
import { sourceRequestFromWizard, wizardValuesFromSource } from '../../src/server/sources/wizard-values.js';
import type { Source } from '../../src/store/models.js';

/** The wizard's PostgreSQL choice: editing such a source opens on it, never shows its password, and keeps it. */
describe('the source wizard and a PostgreSQL destination', () => {
  const source = {
    id: 'src_1',
    name: 'warehouse',
    description: null,
    credential_id: 'cred_1',
    config: {},
    destination: 'postgres://loader:wizard-secret@db.internal:5432/bugsnag?schema=prod',
    schedule: null,
    status: 'active',
  } as unknown as Source;

  it('shows the URL without its password and keeps the stored URL when it comes back unchanged', () => {
    const values = wizardValuesFromSource(source, '/home/u/.snagsync');
    expect(values.destination_kind).toBe('postgres');
    expect(values.destination_url).toBe('postgres://loader:[REDACTED]@db.internal:5432/bugsnag?schema=prod');
    expect(values.destination_path).toBe('');
    expect(sourceRequestFromWizard(values, true).input.destination).toBeUndefined();
  });

  it('takes a PostgreSQL URL typed into its field (or, as before, into the path field) as the destination', () => {
    const values = {
      ...wizardValuesFromSource(source, '/home/u/.snagsync'),
      destination_url: 'postgresql://loader@db2/bugsnag',
    };
    expect(sourceRequestFromWizard(values, true).input.destination).toBe('postgresql://loader@db2/bugsnag');
    const typedAsPath = {
      ...wizardValuesFromSource(source, '/home/u/.snagsync'),
      destination_kind: 'sqlite' as const,
      destination_path: 'postgresql://loader@db3/bugsnag',
    };
    expect(sourceRequestFromWizard(typedAsPath, true).input.destination).toBe('postgresql://loader@db3/bugsnag');
  });
});

describe('the data sources API and a PostgreSQL destination', () => {
  it('answers the URL without its password; sending that back on update keeps the stored URL; creating with it is refused', async () => {
    const { sourcesServer, startSim } = await import('./sources-helpers.js');
    const sim = await startSim({ projects: 1, events: 5 });
    const s = await sourcesServer();
    try {
      const credentialId = await s.credential(sim);
      const url = 'postgres://loader:api-secret-pw@127.0.0.1:5432/test?schema=api_kept';
      const created = await s.source({ name: 'pg api', data_credentials_id: credentialId, destination: url });
      expect(created.destination).toBe('postgres://loader:[REDACTED]@127.0.0.1:5432/test?schema=api_kept');
      const put = await s.api('PUT', `/api/data_sources/${created.id}`, {
        name: 'pg api 2',
        destination: created.destination,
      });
      expect(put.statusCode, put.body).toBe(200);
      expect(put.body).not.toContain('api-secret-pw');
      expect((await s.runtime.store.sources.get(created.id))?.destination).toBe(url);
      const refused = await s.api('POST', '/api/data_sources', {
        name: 'pg api 3',
        data_credentials_id: credentialId,
        destination: created.destination,
      });
      expect(refused.statusCode).toBe(400);
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'config', field: 'destination' });
    } finally {
      await s.cleanup();
      await sim.close();
    }
  });
});
