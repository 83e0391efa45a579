// Starts a run and then waits to be killed (see store.test.ts, stale run detection).
import { openStore } from '../../../src/store/index.js';

const [home, sourceId] = process.argv.slice(2);
const store = openStore({ home });
const run = await store.runs.create({ source_id: sourceId!, trigger: 'schedule' });
await store.runs.upsertStream({
  run_id: run.id,
  stream: 'errors',
  partition: 'project:1',
  records_read: 7,
  requests: 2,
});
process.send?.({ type: 'started', runId: run.id, pid: process.pid });
// Stay alive until the test kills us with SIGKILL.
setInterval(() => undefined, 1 << 30);
