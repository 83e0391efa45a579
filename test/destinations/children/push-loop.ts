// Runs the push steps (see ../push-steps.ts) from `from` to `until`, reporting each one committed over IPC; the test
// kills it (-9) at some point, or lets it finish.
import { openDestination } from '../../../src/destinations/index.js';
import { descriptorOf, getStream } from '../../../src/streams/catalog.js';
import { runStep } from '../push-steps.js';

const [url, fromText, untilText] = process.argv.slice(2);
const dest = await openDestination(url!);
await dest.prepare([descriptorOf(getStream('errors'))]);
process.send?.({ type: 'ready' });
for (let step = Number(fromText); step < Number(untilText); step++) {
  await runStep(dest, step);
  process.send?.({ type: 'committed', step: step + 1 });
}
await dest.close();
process.send?.({ type: 'done' }, () => process.exit(0));
