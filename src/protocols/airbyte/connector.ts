import { toSnagError, type SnagError } from '../../core/errors.js';
import { VERSION } from '../../core/version.js';
import type { RunEvent, RunSummary } from '../../engine/events.js';
import { connectorConfigJsonSchema, parseConnectorConfig, type ConnectorConfig } from '../config.js';
import { failureTypeOf } from '../failure-type.js';
import { protocolRecord } from '../records.js';
import { checkConnection, runProtocolSync } from '../session.js';
import { airbyteCatalog, parseAirbyteState, parseConfiguredCatalog } from './catalog.js';
import { AIRBYTE_PROTOCOL_VERSION, msg, type AirbyteMessage } from './messages.js';

/**
 * The Airbyte source protocol: spec, check, discover, read. Each writes protocol messages through `emit` (one JSON
 * object a line on stdout) and resolves to the process exit code. Failures are messages too (TRACE ERROR with a
 * failure type), so the platform can tell the user what to fix; nothing else is written to stdout.
 */

export const DOCUMENTATION_URL = 'https://github.com/snagsync/snagsync/blob/main/docs/airbyte-singer.md';

export interface AirbyteIo {
  emit(message: AirbyteMessage): void;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

export function spec(io: AirbyteIo): number {
  io.emit(
    msg.spec({
      documentationUrl: DOCUMENTATION_URL,
      connectionSpecification: connectorConfigJsonSchema(),
      supportsIncremental: true,
      protocol_version: AIRBYTE_PROTOCOL_VERSION,
    }),
  );
  return 0;
}

export async function check(io: AirbyteIo, rawConfig: unknown): Promise<number> {
  let config: ConnectorConfig;
  try {
    config = parseConnectorConfig(rawConfig);
    const v = await checkConnection(config, io.signal);
    const orgs = v.organizations.map((o) => o.name).join(', ');
    io.emit(msg.log('INFO', `The token reaches ${v.organizations.length} organization(s)${orgs ? `: ${orgs}` : ''}.`));
    io.emit(msg.connectionStatus('SUCCEEDED'));
  } catch (err) {
    // A check that fails answers FAILED (exit 0: the check itself ran); the trace says what kind of failure it was.
    const e = toSnagError(err);
    io.emit(msg.error(describe(e), failureTypeOf(e.code), e.code));
    io.emit(msg.connectionStatus('FAILED', describe(e)));
  }
  return 0;
}

export function discover(io: AirbyteIo, rawConfig: unknown): number {
  try {
    parseConnectorConfig(rawConfig);
  } catch (err) {
    return fail(io, toSnagError(err));
  }
  io.emit(msg.catalog(airbyteCatalog()));
  return 0;
}

export async function read(io: AirbyteIo, rawConfig: unknown, rawCatalog: unknown, rawState: unknown): Promise<number> {
  let summary: RunSummary;
  const report = new ReadReporter(io);
  try {
    const config = parseConnectorConfig(rawConfig);
    const streams = parseConfiguredCatalog(rawCatalog);
    const state = parseAirbyteState(rawState, (text) => io.emit(msg.log('WARN', text)));
    report.select(streams.map((s) => s.name));
    summary = await runProtocolSync({
      config,
      streams,
      state,
      env: io.env,
      ...(io.signal ? { signal: io.signal } : {}),
      onEvent: (e) => report.event(e),
      onCleaned: (paths) =>
        io.emit(msg.log('INFO', `Removed ${paths.length} temporary home(s) left by killed runs: ${paths.join(', ')}.`)),
      sink: {
        page: (stream, records, streamState) => {
          report.running(stream);
          const at = Date.now();
          for (const r of records) io.emit(msg.record(stream, protocolRecord(stream, r), at));
          io.emit(msg.state(stream, streamState, records.length));
        },
      },
    });
  } catch (err) {
    return fail(io, toSnagError(err));
  }
  return report.finish(summary);
}

/** Any failure before or around the protocol itself (an unreadable file): a TRACE ERROR, exit code 1. */
export function failWith(io: AirbyteIo, err: unknown): number {
  return fail(io, toSnagError(err));
}

function fail(io: AirbyteIo, e: SnagError): number {
  io.emit(msg.error(describe(e), failureTypeOf(e.code), e.code));
  return 1;
}

/**
 * What happened, then what to do (the text the CLI prints), except advice to run a snagsync command: the person
 * reading it is in Airbyte, where there is none to run.
 */
function describe(e: {
  message: string;
  hint?: string | undefined;
  code?: string;
  details?: Record<string, unknown>;
}): string {
  // A config problem names its field, as the form Airbyte draws from the SPEC labels it.
  const field =
    e.code === 'config' && typeof e.details?.field === 'string' && !e.message.startsWith(e.details.field)
      ? `${e.details.field}: `
      : '';
  return field + (e.hint && !/`?snagsync /.test(e.hint) ? `${e.message} ${e.hint}` : e.message);
}

/** Turns the engine's run events into Airbyte LOG and TRACE messages for the selected streams. */
class ReadReporter {
  private selected = new Set<string>();
  private readonly started = new Set<string>();
  private readonly runningSeen = new Set<string>();
  private readonly failed = new Map<string, string>();
  /** Latest X-Total-Count per stream and partition: the stream's estimate is their sum. */
  private readonly estimates = new Map<string, Map<string, number>>();

  constructor(private readonly io: AirbyteIo) {}

  select(streams: readonly string[]): void {
    this.selected = new Set(streams);
  }

  running(stream: string): void {
    this.start(stream);
    if (this.runningSeen.has(stream)) return;
    this.runningSeen.add(stream);
    this.io.emit(msg.streamStatus(stream, 'RUNNING'));
  }

  event(e: RunEvent): void {
    const { emit } = this.io;
    switch (e.type) {
      case 'plan':
        emit(msg.log('INFO', `Reading ${e.organizations} organization(s), ${e.projects} project(s).`));
        break;
      case 'stream-start':
        if (this.selected.has(e.stream)) this.start(e.stream);
        break;
      case 'page': {
        if (!this.selected.has(e.stream) || e.estimate === undefined) break;
        const per = this.estimates.get(e.stream) ?? new Map<string, number>();
        this.estimates.set(e.stream, per);
        if (per.get(e.partition) === e.estimate) break;
        per.set(e.partition, e.estimate);
        emit(
          msg.estimate(
            e.stream,
            [...per.values()].reduce((a, b) => a + b, 0),
          ),
        );
        break;
      }
      case 'rate-limit-wait': {
        const resetAt = Math.round(Date.parse(e.at) + e.ms);
        emit(msg.log('INFO', `Waiting ${Math.ceil(e.ms / 1000)} s for the Bugsnag rate limit (${e.reason}).`));
        const streams =
          e.stream && this.selected.has(e.stream) ? [e.stream] : [...this.started].filter((s) => !this.failed.has(s));
        for (const s of streams) emit(msg.streamStatus(s, 'RUNNING', resetAt));
        break;
      }
      case 'retry':
        emit(
          msg.log(
            'INFO',
            `Retrying a request${e.stream ? ` of ${e.stream}` : ''} (attempt ${e.attempt}${e.status ? `, after HTTP ${e.status}` : e.error ? `, after ${e.error}` : ''}).`,
          ),
        );
        break;
      case 'warning':
        emit(msg.log('WARN', `${e.stream}${e.partition ? ` (${e.partition})` : ''}: ${e.message}`));
        break;
      case 'stream-done':
        if (e.outcome === 'failed' && this.selected.has(e.stream)) {
          const text = e.error?.message ?? e.message ?? 'The stream failed.';
          this.failed.set(e.stream, text);
          emit(
            msg.error(
              `${e.stream}${e.partition ? ` (${e.partition})` : ''}: ${text}`,
              failureTypeOf(e.error?.error ?? 'internal'),
              e.error?.error,
              e.stream,
            ),
          );
        }
        break;
      default:
        break;
    }
  }

  /** Every selected stream ends COMPLETE or INCOMPLETE; a failed run ends with its error and exit code 1. */
  finish(summary: RunSummary): number {
    const stopped = summary.status === 'failed' || summary.status === 'cancelled';
    for (const s of this.selected) {
      this.start(s);
      this.io.emit(msg.streamStatus(s, this.failed.has(s) || stopped ? 'INCOMPLETE' : 'COMPLETE'));
    }
    this.io.emit(
      msg.log(
        'INFO',
        `snagsync ${VERSION}: ${summary.status}, ${summary.totals.records_written} record(s) in ${summary.duration_ms} ms.`,
      ),
    );
    if (!stopped) return 0;
    const err = summary.error;
    this.io.emit(
      msg.error(err ? describe(err) : 'The sync failed.', failureTypeOf(err?.error ?? 'internal'), err?.error),
    );
    return 1;
  }

  private start(stream: string): void {
    if (this.started.has(stream)) return;
    this.started.add(stream);
    this.io.emit(msg.streamStatus(stream, 'STARTED'));
  }
}
