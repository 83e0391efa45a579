import { fullRefreshAdvice } from '../errors.js';
import { dataModes } from '../paths.js';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { SnagError } from '../../core/errors.js';
import { fsyncDirectory } from '../../core/fs.js';

/**
 * `_state.json`: what is committed in a JSONL folder. Replaced atomically (temp file, fsync, rename, fsync of the
 * folder) after each page's lines are on disk, so it only ever names bytes that were fully written:
 *
 *   {
 *     "format": "snagsync-jsonl", "version": 1, "updated_at": "…",
 *     "streams": { "events": { "file": "events.jsonl", "bytes": 81234, "lines": 60, "keys_bytes": 720,
 *                               "descriptor": { "name": "events", "primaryKey": [...], "columns": [...] } } },
 *     "checkpoints": { "<source id>": { "<stream>": { "<partition>": { "state": {…}, "updated_at": "…" } } } }
 *   }
 */
export const STATE_FILE = '_state.json';
export const RUNS_FILE = '_snagsync_runs.jsonl';

const Column = z.object({
  name: z.string(),
  type: z.enum(['text', 'integer', 'real', 'boolean', 'timestamp', 'json']),
  path: z.array(z.string()).optional(),
  or: z.array(z.array(z.string())).optional(),
});

const StreamState = z.object({
  file: z.string(),
  bytes: z.number().int().nonnegative(),
  lines: z.number().int().nonnegative(),
  keys_bytes: z.number().int().nonnegative(),
  descriptor: z.object({ name: z.string(), primaryKey: z.array(z.string()), columns: z.array(Column) }),
});
export type StreamState = z.infer<typeof StreamState>;

const CheckpointEntry = z.object({ state: z.unknown(), updated_at: z.string() });

const Counts = z.object({
  records_read: z.number().int().nonnegative(),
  records_written: z.number().int().nonnegative(),
  pages: z.number().int().nonnegative(),
});

/** A line of `_snagsync_runs.jsonl`: the run as it stood when the line was written (the last line per run is current). */
export const RunLine = z.object({
  run_id: z.string(),
  source_id: z.string(),
  source_name: z.string(),
  trigger: z.string(),
  started_at: z.string(),
  ended_at: z.string().nullable(),
  status: z.enum(['running', 'succeeded', 'partial', 'failed', 'cancelled']),
  error: z.string().nullable(),
  streams: z.array(Counts.extend({ stream: z.string(), partition: z.string() })),
});
export type RunLine = z.infer<typeof RunLine>;

/**
 * Lineage (see ../lineage.ts): the committed length of `_snagsync_runs.jsonl`, the runs not ended yet, and their
 * records per stream and partition — counted with each page, in the same atomic replace of this file, and written
 * into the runs file when the run ends (then dropped from here).
 */
const Runs = z.object({
  bytes: z.number().int().nonnegative(),
  open: z.record(z.string(), RunLine),
  counts: z.record(z.string(), z.record(z.string(), z.record(z.string(), Counts))),
});
export type RunsState = z.infer<typeof Runs>;

export const JsonlState = z.object({
  format: z.literal('snagsync-jsonl'),
  version: z.literal(1),
  updated_at: z.string(),
  streams: z.record(z.string(), StreamState),
  checkpoints: z.record(z.string(), z.record(z.string(), z.record(z.string(), CheckpointEntry))),
  /** Absent in folders written before runs were recorded. */
  runs: Runs.optional(),
});
export type JsonlState = z.infer<typeof JsonlState>;

export function emptyState(): JsonlState {
  return { format: 'snagsync-jsonl', version: 1, updated_at: new Date().toISOString(), streams: {}, checkpoints: {} };
}

/** The committed state, or null when the folder has none yet. */
export function readState(dir: string): JsonlState | null {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw damaged(path, 'it is not valid JSON');
  }
  const result = JsonlState.safeParse(parsed);
  if (!result.success)
    throw damaged(path, result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  return result.data;
}

/** Atomic replace: a reader (or a restart after kill -9) sees the old state or the new one, never a mix. */
export function writeState(dir: string, state: JsonlState, durable: boolean): void {
  const path = join(dir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', dataModes().file);
  try {
    const buf = Buffer.from(`${JSON.stringify(state, null, 1)}\n`, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (durable) fsyncDirectory(dir);
}

function damaged(path: string, why: string): SnagError {
  return new SnagError('destination', `The JSONL state file ${path} is damaged: ${why}.`, {
    ...fullRefreshAdvice('Restore it from a backup, or move the folder away and, with a new one as the destination,'),
    details: { location: path },
  });
}
