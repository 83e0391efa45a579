// Opens a write-back journal, journals a row as sending, then waits to be killed (see postgres-store.test.ts, migrate).
import { openStore } from '../../../src/store/index.js';

const [home, credentialId, inputHash] = process.argv.slice(2);
const store = openStore({ home });
const journal = await store.writebacks.open({ input_hash: inputHash!, credential_id: credentialId!, rows: 2 });
await store.writebacks.record(journal.id, [1], 'applied');
await store.writebacks.record(journal.id, [2], 'sending');
process.send?.({ type: 'started', journalId: journal.id, pid: process.pid });
// Stay alive until the test kills us with SIGKILL.
setInterval(() => undefined, 1 << 30);
