// Writes pages in a loop, each page with its checkpoint, resuming from the stored checkpoint; the test kills it (-9)
// at some point, or lets it finish at page `until`. Reports each committed page over IPC.
import { openDestination } from '../../../src/destinations/index.js';
import { EVENTS, pageRecords } from '../fixtures.js';

const [url, untilText] = process.argv.slice(2);
const until = Number(untilText);
const dest = await openDestination(url!);
await dest.prepare([EVENTS]);
// One run across the kills (each restart goes on with it): its counts must equal the pages committed.
await dest.recordRun!({
  runId: 'run_crash',
  sourceId: 'src_crash',
  sourceName: 'crash',
  trigger: 'cli',
  startedAt: new Date().toISOString(),
  endedAt: null,
  status: 'running',
  error: null,
});
const state = (await dest.readCheckpoint('src_crash', 'events', 'project:all')) as { nextPage: number } | null;
let page = state?.nextPage ?? 0;
process.send?.({ type: 'resumed', page });
while (page < until) {
  await dest.writePage('events', pageRecords(page), {
    sourceId: 'src_crash',
    partition: 'project:all',
    state: { nextPage: page + 1 },
    runId: 'run_crash',
  });
  page++;
  process.send?.({ type: 'committed', page });
}
await dest.close();
process.send?.({ type: 'done', page }, () => process.exit(0));
