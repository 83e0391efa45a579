import { SnagError } from '../../core/errors.js';
import type { DataSinkRecord } from '../../store/index.js';
import type { FieldProblem } from '../errors.js';
import { configOf, SinkConfigSchema, type SinkConfig } from './config.js';

/**
 * The destination wizard's form values, and how they become a sink's config (and back, to edit). Every field is a
 * string, as a form posts it; the operation's parameters are separate inputs, only those of the chosen operation count.
 */

export interface SinkFormValues {
  name: string;
  description: string;
  credential_id: string;
  input_type: 'table' | 'file';
  data_source_id: string;
  filter: string;
  format: 'jsonl' | 'csv';
  content: string;
  filename: string;
  operation: string;
  params: Record<string, string>;
}

/** The inputs of each operation's parameters (the write-back operations' declarations name them). */
export const OPERATION_PARAMS: Record<string, readonly string[]> = {
  fix: [],
  open: [],
  ignore: [],
  snooze: ['reopen_if', 'additional_occurrences', 'occurrences', 'hours', 'seconds', 'additional_users'],
  discard: [],
  undiscard: [],
  override_severity: ['severity'],
  assign: ['assignee', 'team'],
  link_issue: ['issue_url'],
  unlink_issue: [],
  comment: ['message'],
};
export const PARAM_NAMES = [...new Set(Object.values(OPERATION_PARAMS).flat())];

export const FORM_FIELDS = [
  'name',
  'description',
  'credential_id',
  'input_type',
  'data_source_id',
  'filter',
  'format',
  'content',
  'operation',
  'confirm',
  ...PARAM_NAMES,
];

const str = (v: unknown) => (typeof v === 'string' ? v : '');

export function defaultSinkValues(): SinkFormValues {
  return {
    name: '',
    description: '',
    credential_id: '',
    input_type: 'table',
    data_source_id: '',
    filter: '',
    format: 'jsonl',
    content: '',
    filename: '',
    operation: 'fix',
    params: {},
  };
}

export function sinkValuesFromBody(body: Record<string, unknown>): SinkFormValues {
  const params: Record<string, string> = {};
  for (const p of PARAM_NAMES) if (str(body[p]).trim() !== '') params[p] = str(body[p]).trim();
  return {
    name: str(body.name),
    description: str(body.description),
    credential_id: str(body.credential_id),
    input_type: body.input_type === 'file' ? 'file' : 'table',
    data_source_id: str(body.data_source_id),
    filter: str(body.filter),
    format: body.format === 'csv' ? 'csv' : 'jsonl',
    content: str(body.content),
    filename: str(body.filename),
    operation: str(body.operation),
    params,
  };
}

export function sinkValuesFromRecord(s: DataSinkRecord): SinkFormValues {
  const v = defaultSinkValues();
  v.name = s.name;
  v.description = s.description ?? '';
  v.credential_id = s.credential_id ?? '';
  try {
    const c = configOf(s);
    if (c.input.type === 'file') {
      v.input_type = 'file';
      v.format = c.input.format;
      v.content = c.input.content;
      v.filename = c.input.filename ?? '';
    } else if (c.input.type === 'table') {
      v.data_source_id = c.input.data_source_id;
      v.filter = c.input.filter ?? '';
    }
    v.operation = c.operation?.name ?? '';
    v.params = Object.fromEntries(Object.entries(c.operation?.params ?? {}).map(([k, x]) => [k, String(x)]));
  } catch {
    // A config this form cannot show: the defaults, to choose again.
  }
  return v;
}

/** The config the values describe, or every problem on its form field. */
export function sinkConfigFromValues(v: SinkFormValues): SinkConfig {
  const wanted = OPERATION_PARAMS[v.operation] ?? [];
  const params = Object.fromEntries(Object.entries(v.params).filter(([k]) => wanted.includes(k)));
  const raw = {
    input:
      v.input_type === 'file'
        ? { type: 'file', format: v.format, content: v.content, filename: v.filename || null }
        : { type: 'table', data_source_id: v.data_source_id, filter: v.filter.trim() || null },
    operation: v.operation ? { name: v.operation, params } : null,
  };
  const parsed = SinkConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const fields: Record<string, FieldProblem> = {};
  for (const issue of parsed.error.issues) {
    const field = formFieldOf(['data_sink_config', ...issue.path.map(String)].join('.'));
    // A message ends with its period here; the API's problem list adds it after the field name instead.
    fields[field] ??= { message: /[.!?]$/.test(issue.message) ? issue.message : `${issue.message}.` };
  }
  const first = Object.keys(fields)[0]!;
  throw new SnagError('config', fields[first]!.message, { details: { field: first, fields } });
}

/** An API field name (`data_sink_config.input.data_source_id`) → the wizard's input (`data_source_id`). */
export function formFieldOf(apiField: string): string {
  if (apiField === 'data_credentials_id') return 'credential_id';
  const m = /^data_sink_config\.(input|operation)(?:\.(.+))?$/.exec(apiField);
  if (!m) return apiField;
  const [, part, rest] = m;
  if (part === 'input') return rest === undefined || rest === 'type' ? 'input_type' : rest.split('.')[0]!;
  if (rest === undefined || rest === 'name') return 'operation';
  const param = rest.replace(/^params\.?/, '').split('.')[0];
  return param || 'operation';
}
