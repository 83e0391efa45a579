// Writes errors pages whose states change from page to page (see history-pages.ts), each with its checkpoint, resuming
// from the stored checkpoint after first replaying the last committed page later (as a rerun re-reads it); the test
// kills it (-9) at some point, or lets it finish at page `until`. Reports each committed page over IPC.
import { openDestination } from '../../../src/destinations/index.js';
import { descriptorOf, getStream } from '../../../src/streams/catalog.js';
import { historyPage, pageTime } from '../history-pages.js';

const [url, untilText] = process.argv.slice(2);
const until = Number(untilText);
const dest = await openDestination(url!);
await dest.prepare([descriptorOf(getStream('errors'))]);
const write = (page: number, at: string) =>
  dest.writePage('errors', historyPage(page), {
    sourceId: 'src_kill',
    partition: 'project:p1',
    state: { nextPage: page + 1 },
    runId: `run_${page}`,
    observed: { at, by: 'full_pass' },
  });
const state = (await dest.readCheckpoint('src_kill', 'errors', 'project:p1')) as { nextPage: number } | null;
let page = state?.nextPage ?? 0;
// The rerun reads the last committed page again, later: the same states, so nothing is added.
if (page > 0) await write(page - 1, pageTime(page - 1, 59));
process.send?.({ type: 'resumed', page });
while (page < until) {
  await write(page, pageTime(page));
  page++;
  process.send?.({ type: 'committed', page });
}
await dest.close();
process.send?.({ type: 'done', page }, () => process.exit(0));
