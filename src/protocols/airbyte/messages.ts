import type { FailureType } from '../failure-type.js';

/**
 * Airbyte protocol messages (protocol v0, test/fixtures/protocols/airbyte_protocol.yaml), as plain objects. One
 * builder per message type; the writer puts each on its own stdout line.
 */

export const AIRBYTE_PROTOCOL_VERSION = '0.3.2';

export type AirbyteMessage = { type: string } & Record<string, unknown>;
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';

export const msg = {
  spec: (spec: Record<string, unknown>): AirbyteMessage => ({ type: 'SPEC', spec }),
  connectionStatus: (status: 'SUCCEEDED' | 'FAILED', message?: string): AirbyteMessage => ({
    type: 'CONNECTION_STATUS',
    connectionStatus: { status, ...(message !== undefined ? { message } : {}) },
  }),
  catalog: (streams: Array<Record<string, unknown>>): AirbyteMessage => ({ type: 'CATALOG', catalog: { streams } }),
  record: (stream: string, data: Readonly<Record<string, unknown>>, emittedAt: number): AirbyteMessage => ({
    type: 'RECORD',
    record: { stream, data, emitted_at: emittedAt },
  }),
  state: (stream: string, streamState: Record<string, unknown>, recordCount: number): AirbyteMessage => ({
    type: 'STATE',
    state: {
      type: 'STREAM',
      stream: { stream_descriptor: { name: stream }, stream_state: streamState },
      // A double, as the protocol asks, so that a platform counting per checkpoint does not overflow.
      sourceStats: { recordCount },
    },
  }),
  log: (level: LogLevel, message: string): AirbyteMessage => ({ type: 'LOG', log: { level, message } }),
  error: (message: string, failureType: FailureType, internal?: string, stream?: string): AirbyteMessage =>
    trace('ERROR', {
      error: {
        message,
        failure_type: failureType,
        ...(internal ? { internal_message: internal } : {}),
        ...(stream ? { stream_descriptor: { name: stream } } : {}),
      },
    }),
  estimate: (stream: string, rows: number): AirbyteMessage =>
    trace('ESTIMATE', { estimate: { name: stream, type: 'STREAM', row_estimate: rows } }),
  streamStatus: (stream: string, status: StreamStatus, quotaResetMs?: number): AirbyteMessage =>
    trace('STREAM_STATUS', {
      stream_status: {
        stream_descriptor: { name: stream },
        status,
        ...(quotaResetMs !== undefined
          ? { reasons: [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: quotaResetMs } }] }
          : {}),
      },
    }),
};

function trace(type: string, body: Record<string, unknown>): AirbyteMessage {
  return { type: 'TRACE', trace: { type, emitted_at: Date.now(), ...body } };
}
