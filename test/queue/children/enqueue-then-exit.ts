// Enqueues a run of a source (its own in-process queue, lost with it) and exits: a `snagsync sync` killed while it
// followed a queued run. See executor.test.ts, "belongs to no process".
import { enqueueRun } from '../../../src/engine/cluster/index.js';
import { memoryQueue } from '../../../src/queue/index.js';
import { openRuntime } from '../../../src/runtime.js';

const [source] = process.argv.slice(2);
const runtime = openRuntime();
const queued = await enqueueRun(runtime, memoryQueue(), source!);
await runtime.close();
process.send?.({ type: 'enqueued', runId: queued.runId, pid: process.pid }, () => process.exit(0));
