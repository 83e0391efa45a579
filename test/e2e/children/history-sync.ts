// One sync of a source by the in-process engine, in a process of its own so the test can kill it (-9) between page
// commits: it reports each committed errors page over IPC (`page`, with how many this run committed) and the end
// (`done`, with the run's status). The home and master key come from the environment; argv: source, the run's "now".
import { openRuntime } from '../../../src/runtime.js';
import { startRun } from '../../../src/engine/index.js';

const [source, nowIso] = process.argv.slice(2);
const runtime = openRuntime({ env: process.env });
const run = await startRun(runtime, source!, { now: new Date(nowIso!) });
let pages = 0;
run.events.subscribe((e) => {
  if (e.type === 'page' && e.stream === 'errors') process.send?.({ type: 'page', pages: ++pages });
});
const summary = await run.done;
await runtime.close();
process.send?.({ type: 'done', status: summary.status, error: summary.error ?? null }, () => process.exit(0));
