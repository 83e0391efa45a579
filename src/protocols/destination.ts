import type {
  CheckpointWrite,
  Destination,
  DestinationRecord,
  DestinationSchema,
  PrepareResult,
  StoredCheckpoint,
  StreamDescriptor,
  WriteResult,
} from '../destinations/types.js';

/**
 * A destination that hands each committed page to an orchestrator protocol (Airbyte, Singer) instead of storing it:
 * the engine's `writePage` (records + checkpoint, atomically) becomes "these records, then this stream's state". The
 * orchestrator keeps the state; the next run gives it back (`initial`) and the engine resumes from it.
 *
 * State is per stream, with the partitions (one org or project) inside: `{ partitions: { "project:…": checkpoint } }`.
 * A stream's state message always carries every partition seen so far, so the last one is enough to resume.
 */

export type SyncModeChoice = 'full_refresh' | 'incremental';

/** Per stream, per partition, the engine's checkpoint as it emitted it. */
export type PartitionStates = Record<string, Record<string, unknown>>;

export interface ProtocolSink {
  /** The stream's descriptors, once, before any page (Singer's SCHEMA messages). */
  prepare?(streams: readonly StreamDescriptor[]): void;
  /** One committed page of a selected stream: its records, then the stream's state (every partition). */
  page(stream: string, records: readonly DestinationRecord[], state: { partitions: Record<string, unknown> }): void;
}

export interface StreamChoice {
  name: string;
  mode: SyncModeChoice;
}

export class ProtocolDestination implements Destination {
  readonly kind = 'stdout' as const;
  readonly location = '-';
  private readonly states: PartitionStates = {};
  private readonly modes: Map<string, SyncModeChoice>;
  private readonly counts = new Map<string, number>();

  /**
   * `selected`: the streams the orchestrator asked for, with their sync mode. A stream the engine reads only because
   * a selected one needs it (errors under comments) is read but not emitted. `initial`: the state given back.
   */
  constructor(
    selected: readonly StreamChoice[],
    initial: PartitionStates,
    private readonly sink: ProtocolSink,
  ) {
    this.modes = new Map(selected.map((s) => [s.name, s.mode]));
    for (const [stream, partitions] of Object.entries(initial)) {
      const mode = this.modes.get(stream);
      if (!mode) continue;
      const kept: Record<string, unknown> = {};
      for (const [partition, state] of Object.entries(partitions)) {
        // Full refresh reads everything again, unless the state is a pass over everything that was cut short (a
        // failed attempt of the same sync, resumed): then it goes on from there instead of starting over.
        if (mode === 'incremental' || unfinishedFullPass(state)) kept[partition] = state;
      }
      this.states[stream] = kept;
    }
  }

  async prepare(streams: readonly StreamDescriptor[]): Promise<PrepareResult> {
    this.sink.prepare?.(streams.filter((s) => this.modes.has(s.name)));
    return { created: [], addedColumns: [] };
  }

  async writePage(
    stream: string,
    records: readonly DestinationRecord[],
    checkpoint: CheckpointWrite,
  ): Promise<WriteResult> {
    const partitions = (this.states[stream] ??= {});
    partitions[checkpoint.partition] = checkpoint.state;
    if (!this.modes.has(stream)) return { written: 0, unchanged: 0 };
    this.counts.set(stream, (this.counts.get(stream) ?? 0) + records.length);
    this.sink.page(stream, records, { partitions: { ...partitions } });
    return { written: records.length, unchanged: 0 };
  }

  async readCheckpoint(_sourceId: string, stream: string, partition: string): Promise<unknown> {
    return this.states[stream]?.[partition] ?? null;
  }

  async readCheckpoints(sourceId: string): Promise<StoredCheckpoint[]> {
    const at = new Date().toISOString();
    return Object.entries(this.states).flatMap(([stream, parts]) =>
      Object.entries(parts).map(([partition, state]) => ({ sourceId, stream, partition, state, updatedAt: at })),
    );
  }

  async resetCheckpoints(_sourceId: string, streams?: readonly string[]): Promise<number> {
    let n = 0;
    for (const s of streams ?? Object.keys(this.states)) {
      n += Object.keys(this.states[s] ?? {}).length;
      delete this.states[s];
    }
    return n;
  }

  async countRecords(stream: string): Promise<number> {
    return this.counts.get(stream) ?? 0;
  }

  /** Nothing is kept: the records went to the orchestrator. */
  async listRecords(): Promise<Array<Record<string, unknown>>> {
    return [];
  }

  async describe(): Promise<DestinationSchema> {
    return {
      kind: this.kind,
      location: this.location,
      streams: [...this.counts].map(([name, records]) => ({ name, records, columns: [], definition: 'stdout' })),
    };
  }

  async close(): Promise<void> {}
}

/**
 * A checkpoint of a pass that started from nothing and did not finish: a `pass` in progress and no cursor yet (see
 * streams/state.ts). Any other state belongs to an incremental sync and is not a full refresh's business.
 */
function unfinishedFullPass(state: unknown): boolean {
  if (state === null || typeof state !== 'object') return false;
  const s = state as Record<string, unknown>;
  return s.pass !== undefined && s.cursor === undefined;
}
