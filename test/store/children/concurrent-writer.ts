// A second process writing the metadata store at the same time as others (see store-concurrency.test.ts).
import { barrier } from '../fork-helper.js';
import { newCredentialId, openStore } from '../../../src/store/index.js';

const [home, tag, countText] = process.argv.slice(2);
const count = Number(countText);

await barrier();
// Opening after the barrier makes the processes race on creating and migrating a brand-new store too.
const store = openStore({ home });
const errors: string[] = [];
let written = 0;
try {
  const cred = await store.credentials.create({
    id: newCredentialId(),
    name: `cred-${tag}`,
    host: 'https://api.bugsnag.com',
    token_envelope: 'snagsync:v1:test',
    token_key_id: 'k-test',
    token_last4: 'abcd',
    verified_status: 'UNVERIFIED',
  });
  for (let i = 0; i < count; i++) {
    const source = await store.sources.create({
      name: `src-${tag}-${i}`,
      credential_id: cred.id,
      destination: 'sqlite:/tmp/x.db',
    });
    const run = await store.runs.create({ source_id: source.id, trigger: 'cli' });
    await store.runs.upsertStream({ run_id: run.id, stream: 'events', partition: 'project:1', records_read: i });
    await store.runs.finish(run.id, { status: 'succeeded' });
    written++;
  }
} catch (err) {
  errors.push(err instanceof Error ? `${(err as { code?: string }).code ?? ''} ${err.message}` : String(err));
}
await store.close();
process.send?.({ type: 'done', written, errors }, () => process.exit(0));
