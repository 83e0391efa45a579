import { describe, expect, it } from 'vitest';
import { sourceRequestFromWizard, wizardValuesFromSource } from '../../src/server/sources/wizard-values.js';
import type { Source } from '../../src/store/models.js';

/** The wizard has no PostgreSQL choice yet: editing such a source must neither show its password nor change it. */
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
    expect(values.destination_path).toBe('postgres://loader:[REDACTED]@db.internal:5432/bugsnag?schema=prod');
    expect(sourceRequestFromWizard(values, true).input.destination).toBeUndefined();
  });

  it('takes a PostgreSQL URL typed into the path field as the destination', () => {
    const values = { ...wizardValuesFromSource(source, '/home/u/.snagsync'), destination_path: 'postgresql://loader@db2/bugsnag' };
    expect(sourceRequestFromWizard(values, true).input.destination).toBe('postgresql://loader@db2/bugsnag');
  });
});
