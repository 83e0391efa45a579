import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The committed lines of a JSONL stream file, one at a time: its first `bytes` bytes (what `_state.json` commits;
 * bytes past them belong to a sync in progress, or to none). Read for the destination's `listRecords` and for the
 * server's Overview, which streams the files without opening the destination.
 */
export async function* committedLines(path: string, bytes: number): AsyncGenerator<string> {
  if (bytes <= 0) return;
  const lines = createInterface({
    input: createReadStream(path, { start: 0, end: bytes - 1, encoding: 'utf8' }),
    crlfDelay: Infinity,
  });
  for await (const line of lines) if (line !== '') yield line;
}
