import { SnagError } from '../core/errors.js';
import type { CheckpointWrite, DestinationRecord } from './types.js';

/** Input checks shared by the destinations: what the engine hands over must be what the contract says. */

export function unknownStream(stream: string): SnagError {
  return new SnagError('internal', `The stream "${stream}" was not prepared on this destination.`, {
    hint: 'This is a bug in snagsync: prepare() must be called with every stream before writing.',
  });
}

export function assertRecords(stream: string, records: readonly DestinationRecord[]): void {
  if (!Array.isArray(records)) throw new SnagError('internal', `writePage("${stream}") needs an array of records.`);
  for (const r of records) {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      throw new SnagError('internal', `A record of stream "${stream}" is not a JSON object.`, {
        hint: 'This is a bug in snagsync; please report it.',
      });
    }
  }
}

export function assertCheckpoint(cp: CheckpointWrite): void {
  if (!cp || typeof cp.sourceId !== 'string' || cp.sourceId === '' || typeof cp.partition !== 'string') {
    throw new SnagError('internal', "A checkpoint needs a sourceId and a partition ('' for global streams).");
  }
}

export function stateJson(state: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(state);
  } catch (err) {
    throw new SnagError('internal', 'A checkpoint state is not JSON-serialisable.', { cause: err });
  }
  if (text === undefined) throw new SnagError('internal', 'A checkpoint state is not JSON-serialisable (undefined).');
  return text;
}

/** The page contract every destination checks before writing: records are objects, the checkpoint is whole; returns the state as JSON. */
export function checkedPage(
  stream: string,
  records: readonly DestinationRecord[],
  checkpoint: CheckpointWrite,
): string {
  assertRecords(stream, records);
  assertCheckpoint(checkpoint);
  return stateJson(checkpoint.state);
}
