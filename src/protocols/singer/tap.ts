import { type SnagError, toSnagError } from '../../core/errors.js';
import type { RunEvent } from '../../engine/events.js';
import type { ConnectorConfig } from '../config.js';
import { protocolRecord } from '../records.js';
import { runProtocolSync } from '../session.js';
import { recordJsonSchema, STREAMS } from '../streams.js';
import { recordKeyOf } from '../../streams/catalog.js';
import type { PartitionStates } from '../destination.js';
import type { SingerSelection } from './catalog.js';

/**
 * The Singer tap: SCHEMA for each selected stream, then its RECORDs, and after every committed page a STATE whose
 * value is the whole tap's state (every stream's partitions), as the Singer specification has it. Logs go to stderr.
 */

export interface SingerIo {
  emit(message: Record<string, unknown>): void;
  log(line: string): void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export async function runTap(
  io: SingerIo,
  config: ConnectorConfig,
  selection: SingerSelection,
  state: PartitionStates,
): Promise<number> {
  const bookmarks: Record<string, { partitions: Record<string, unknown> }> = {};
  for (const [stream, partitions] of Object.entries(state)) bookmarks[stream] = { partitions: { ...partitions } };
  const schemaSent = new Set<string>();
  const sendSchema = (name: string) => {
    if (schemaSent.has(name)) return;
    schemaSent.add(name);
    const s = STREAMS.find((x) => x.name === name)!;
    const schema = recordJsonSchema(s);
    const off = selection.excluded.get(name);
    if (off && schema.properties && typeof schema.properties === 'object') {
      schema.properties = Object.fromEntries(
        Object.entries(schema.properties as Record<string, unknown>).filter(([k]) => !off.has(k)),
      );
      if (Array.isArray(schema.required)) schema.required = (schema.required as string[]).filter((k) => !off.has(k));
    }
    io.emit({
      type: 'SCHEMA',
      stream: name,
      schema,
      key_properties: recordKeyOf(s),
      ...(s.cursor ? { bookmark_properties: [s.cursor.field] } : {}),
    });
  };
  try {
    const summary = await runProtocolSync({
      config,
      streams: selection.streams,
      state,
      env: io.env,
      ...(io.signal ? { signal: io.signal } : {}),
      onEvent: (e) => logEvent(io, e),
      onCleaned: (paths) =>
        io.log(`snagsync: removed ${paths.length} temporary home(s) left by killed runs: ${paths.join(', ')}`),
      sink: {
        prepare: (streams) => {
          for (const s of streams) sendSchema(s.name);
        },
        page: (stream, records, streamState) => {
          sendSchema(stream);
          const off = selection.excluded.get(stream);
          const at = new Date().toISOString();
          for (const r of records) {
            const sent = protocolRecord(stream, r);
            const record = off ? Object.fromEntries(Object.entries(sent).filter(([k]) => !off.has(k))) : sent;
            io.emit({ type: 'RECORD', stream, record, time_extracted: at });
          }
          bookmarks[stream] = streamState;
          io.emit({ type: 'STATE', value: { bookmarks: { ...bookmarks } } });
        },
      },
    });
    io.log(`snagsync: ${summary.status}, ${summary.totals.records_written} record(s) in ${summary.duration_ms} ms.`);
    if (summary.status === 'failed' || summary.status === 'cancelled') {
      const e = summary.error;
      io.log(`snagsync: ${e ? (e.hint ? `${e.message}\n${e.hint}` : e.message) : 'The sync failed.'}`);
      return e?.exit_code ?? 1;
    }
    return 0;
  } catch (err) {
    const e: SnagError = toSnagError(err);
    io.log(`snagsync: ${e.describe()}`);
    return e.exitCode;
  }
}

function logEvent(io: SingerIo, e: RunEvent): void {
  switch (e.type) {
    case 'warning':
      io.log(`snagsync: warning: ${e.stream}${e.partition ? ` (${e.partition})` : ''}: ${e.message}`);
      break;
    case 'rate-limit-wait':
      io.log(`snagsync: waiting ${Math.ceil(e.ms / 1000)} s for the Bugsnag rate limit`);
      break;
    case 'stream-done':
      if (e.outcome === 'failed')
        io.log(
          `snagsync: ${e.stream}${e.partition ? ` (${e.partition})` : ''} failed: ${e.error?.message ?? e.message ?? ''}`,
        );
      break;
    default:
      break;
  }
}
