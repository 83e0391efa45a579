import { z } from 'zod';
import { isSnagError, SnagError } from '../../core/errors.js';
import { parseDestinationUrl } from '../../destinations/index.js';
import type { Runtime } from '../../runtime.js';
import type { DataSinkRecord } from '../../store/index.js';
import {
  checkRows,
  OPERATION_NAMES,
  parseCsv,
  parseJsonl,
  prepareWriteback,
  type WritebackSession,
} from '../../writeback/index.js';
import { compileFilter } from './filter.js';
import { operationOf } from '../../writeback/operations.js';

/**
 * What a data sink (a Bugsnag write-back destination) holds, declared once: its input — the errors table a source
 * synced (SQLite or PostgreSQL) with a filter, a SELECT on that database, or the content of an uploaded JSONL/CSV file — and the
 * operation its rows get unless they carry their own. The API's schema, the wizard's form and the plan all use it.
 */

export const INPUT_FIELD = 'data_sink_config.input';

/** Largest uploaded input kept with a sink (the API's body limit for these routes follows it). */
export const CONTENT_MAX = 4 * 1024 * 1024;

const sourceRef = z
  .string({ error: 'Name the source whose synced database the rows come from (its id or name).' })
  .trim()
  .min(1, 'Name the source whose synced database the rows come from (its id or name)');

export const SinkInputSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('table').meta({ description: "Rows of a source's synced errors table, with a filter." }),
      data_source_id: sourceRef.meta({
        description: 'The source (src_… or its name); its destination must be SQLite or PostgreSQL.',
      }),
      table: z.literal('errors').default('errors').meta({ description: 'The synced table: errors.' }),
      filter: z.string().trim().max(4000).nullish().meta({
        description:
          "A condition on the table's columns: comparisons (=, <>, <, <=, >, >=) with strings and numbers, AND, OR, NOT, parentheses, IN (…), IS [NOT] NULL, LIKE, BETWEEN — e.g. status = 'open' AND last_seen_unfiltered < '2026-06-01'. No functions, subqueries or ;: the values are sent as parameters.",
      }),
    }),
    z.strictObject({
      type: z.literal('query').meta({ description: "A SELECT on a source's synced database (SQLite or PostgreSQL)." }),
      data_source_id: sourceRef,
      query: z
        .string({ error: 'Give a SELECT (or WITH) query.' })
        .trim()
        .regex(/^(select|with)\b/i, 'Give a SELECT (or WITH) query: the database is only read.')
        .max(20_000),
    }),
    z.strictObject({
      type: z.literal('file').meta({ description: "An uploaded file's content: JSONL (one object a line) or CSV." }),
      format: z.enum(['jsonl', 'csv']).meta({ description: 'jsonl or csv.' }),
      content: z
        .string({ error: 'Give the file content.' })
        // No final period: the API's problem list adds it after the field's name (the wizard's form too).
        .min(1, 'The file is empty')
        .max(CONTENT_MAX, `The file is larger than ${CONTENT_MAX / 1024 / 1024} MiB`),
      filename: z.string().max(255).nullish(),
    }),
  ],
  { error: 'input.type is table, query or file.' },
);
export type SinkInput = z.output<typeof SinkInputSchema>;

export const SinkOperationSchema = z.strictObject({
  name: z.enum(OPERATION_NAMES as [string, ...string[]], {
    error: `Choose one of ${OPERATION_NAMES.join(', ')}.`,
  }),
  params: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .default({})
    .meta({ description: 'The operation\'s parameters, e.g. {"severity": "info"} or {"message": "…"}.' }),
});
export type SinkOperation = z.output<typeof SinkOperationSchema>;

export const SinkConfigSchema = z.strictObject({
  input: SinkInputSchema,
  operation: SinkOperationSchema.nullish().meta({
    description:
      'What to do to every row that does not say itself (rows may carry operation and parameters; a row wins). Needed for a table input.',
  }),
});
export type SinkConfig = z.output<typeof SinkConfigSchema>;

export function configOf(sink: DataSinkRecord): SinkConfig {
  const parsed = SinkConfigSchema.safeParse(sink.config);
  if (!parsed.success)
    throw new SnagError('config', `The destination "${sink.name}" has no valid input or operation.`, {
      hint: 'Edit the destination and choose its input and operation again.',
      details: { field: INPUT_FIELD },
    });
  return parsed.data;
}

const fieldError = (field: string, message: string, hint?: string) =>
  new SnagError('config', message, {
    ...(hint ? { hint } : {}),
    details: { field, fields: { [field]: { message, ...(hint ? { hint } : {}) } } },
  });

/**
 * Checks what the schema cannot: the source exists and syncs into SQLite or PostgreSQL, the operation's parameters, and every row of
 * an uploaded file (all problems at once, as the plan would list them). Sends nothing to Bugsnag.
 */
export async function checkSinkConfig(runtime: Runtime, config: SinkConfig): Promise<void> {
  const op = config.operation;
  if (op) {
    const parsed = operationOf(op.name)!.params.safeParse(op.params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const key = issue.path.map(String).join('.');
      const field = `data_sink_config.operation.params${key ? `.${key}` : ''}`;
      throw fieldError(field, `${op.name}: ${key ? `${key}: ` : ''}${issue.message}`);
    }
  }
  const input = config.input;
  if (input.type === 'file') {
    const raw = input.format === 'jsonl' ? parseJsonlAt(input.content) : parseCsv(input.content);
    const defaults = defaultsOf(config);
    const { problems } = checkRows(raw.map((r) => ({ row: r.row, fields: { ...defaults, ...r.fields } })));
    if (problems.length) {
      const shown = problems.slice(0, 20).map((p) => `row ${p.row}, ${p.field}: ${p.message}`);
      throw new SnagError(
        'config',
        `${problems.length} problem${problems.length === 1 ? '' : 's'} in the file; nothing was saved:\n  ${shown.join('\n  ')}${problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : ''}`,
        {
          hint: 'Fix these rows (or choose an operation for rows that have none) and upload the file again.',
          details: { field: `${INPUT_FIELD}.content`, problems },
        },
      );
    }
    if (raw.length === 0) throw fieldError(`${INPUT_FIELD}.content`, 'The file has no rows.');
    return;
  }
  if (!op) {
    throw fieldError(
      'data_sink_config.operation',
      'A table or query input needs an operation (its rows carry only the errors), unless the query selects an operation column.',
    );
  }
  if (input.type === 'table' && input.filter) compileFilter(input.filter, 'postgres', FILTER_FIELD);
  await syncedDatabase(runtime, input.data_source_id);
}

export const FILTER_FIELD = `${INPUT_FIELD}.filter`;

function parseJsonlAt(text: string) {
  try {
    return parseJsonl(text);
  } catch (err) {
    if (isSnagError(err)) throw relabelInput(err, `${INPUT_FIELD}.content`);
    throw err;
  }
}

/**
 * Where the table and query inputs read: the source's synced database (SQLite file, or PostgreSQL schema), and the
 * write-back input `from` that runs a query there (one statement, read-only: see writeback/input-*.ts).
 */
export async function syncedDatabase(
  runtime: Runtime,
  sourceRef: string,
): Promise<{ kind: 'sqlite' | 'postgres'; from: (query: string) => string }> {
  const field = `${INPUT_FIELD}.data_source_id`;
  const source = await runtime.store.sources.findByNameOrId(sourceRef).catch((err: unknown) => {
    if (isSnagError(err, 'missing'))
      throw fieldError(field, `No source with the name or id "${sourceRef}".`, 'GET /api/data_sources lists them.');
    throw err;
  });
  const target = parseDestinationUrl(source.destination, { cwd: runtime.home });
  if (target.kind === 'jsonl') {
    throw fieldError(
      field,
      `The source "${source.name}" syncs into JSONL files, which cannot be queried.`,
      'Pick a source that syncs into SQLite or PostgreSQL, or upload the rows as a file.',
    );
  }
  // `?query=` takes the rest literally when it has spaces; a one-word query cannot be a SELECT anyway.
  if (target.kind === 'sqlite') return { kind: 'sqlite', from: (query) => `sqlite:${target.path}?query=${query}` };
  return { kind: 'postgres', from: (query) => `${target.url}${target.url.includes('?') ? '&' : '?'}query=${query}` };
}

function defaultsOf(config: SinkConfig): Record<string, unknown> {
  return config.operation ? { operation: config.operation.name, ...config.operation.params } : {};
}

/** Where the write-back core reads a sink's input: a `from` (a database query, or `-` with the file as stdin). */
export async function inputSource(
  runtime: Runtime,
  input: SinkInput,
): Promise<{ from: string; stdin?: () => Promise<string>; queryValues?: Array<string | number | boolean> }> {
  if (input.type === 'file') return { from: '-', stdin: async () => input.content };
  const db = await syncedDatabase(runtime, input.data_source_id);
  if (input.type === 'query') return { from: db.from(input.query) };
  // The filter is parsed, never pasted: its literals go as parameters (a destination saved before this check
  // with a filter that is not a condition is refused here, before anything reaches the database).
  const filter = input.filter ? compileFilter(input.filter, db.kind, FILTER_FIELD) : null;
  return {
    from: db.from(
      `SELECT project_id, id AS error_id FROM errors${filter ? ` WHERE (${filter.sql})` : ''} ORDER BY project_id, id`,
    ),
    ...(filter ? { queryValues: filter.values } : {}),
  };
}

/**
 * Reads the sink's input, checks it and plans it (reads from Bugsnag, sends nothing). `warnings` are what the input's
 * reading found worth saying (a database role that can write).
 */
export async function prepareSink(
  runtime: Runtime,
  sink: DataSinkRecord,
  options: { signal?: AbortSignal } = {},
): Promise<WritebackSession & { warnings: string[] }> {
  if (!sink.credential_id) {
    throw new SnagError('config', `The destination "${sink.name}" has no credential (it was removed).`, {
      hint: 'Give it a credential first (data_credentials_id, or Authenticate on its page).',
      details: { field: 'data_credentials_id' },
    });
  }
  const config = configOf(sink);
  const input = config.input;
  const { from, stdin, queryValues } = await inputSource(runtime, input);
  const warnings: string[] = [];
  try {
    const session = await prepareWriteback(runtime, sink.credential_id, from, {
      ...(stdin ? { stdin } : {}),
      ...(input.type === 'file' ? { format: input.format } : {}),
      ...(queryValues ? { queryValues } : {}),
      onWarning: (w) => warnings.push(w),
      defaults: defaultsOf(config),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return Object.assign(session, { warnings });
  } catch (err) {
    throw isSnagError(err) ? relabelInput(err, INPUT_FIELD) : err;
  }
}

/** Input errors of the write-back core name its `--from`; here they belong to the sink's input, with the API's advice. */
export function relabelInput(err: SnagError, field: string): SnagError {
  if (err.details.field !== 'from') return err;
  const problems = err.details.problems;
  return new SnagError(err.code, err.message, {
    serverHint: problems
      ? "Fix these rows in the input (or the destination's operation), then plan again."
      : "Check the destination's input: its source, filter or query, or the uploaded file.",
    ...(err.hint ? { hint: err.hint } : {}),
    details: { ...err.details, field },
  });
}
