import type { CredentialView } from '../../credentials/view.js';
import type { Source } from '../../store/models.js';
import { DESCRIPTION_MAX, NAME_MAX } from '../../store/names.js';
import { OPERATION_NAMES } from '../../writeback/index.js';
import type { FieldProblem } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import type { SinkFormValues } from '../sinks/form-values.js';
import { authenticateStep } from './authenticate.js';
import {
  csrfInput,
  fieldError,
  formError,
  inputField,
  selectField,
  submitButton,
  textareaField,
  type FormState,
} from './form.js';

/**
 * The destination wizard (the source wizard's shape, after Nexla's): 1 the Bugsnag connector tile → 2 Authenticate
 * (a credential tile, or Add Credential) → 3 the input (a source's synced errors table with a filter, or an uploaded
 * JSONL/CSV file) and the operation → 4 name, then Save (the next page plans it when asked). Without JavaScript every
 * step shows in order, both inputs and every operation's parameters grouped under their operation; app.js shows one
 * step at a time, only the chosen input and the chosen operation's parameters, and reads a chosen file into the
 * content box.
 */

export const DESTINATION_STEPS = [
  { id: 'dstep-connector', title: 'Connector' },
  { id: 'dstep-authenticate', title: 'Authenticate' },
  { id: 'dstep-input', title: 'Input and operation' },
  { id: 'dstep-save', title: 'Name and save' },
] as const;

export interface DestinationWizardOptions {
  action: string;
  csrf: string;
  values: SinkFormValues;
  errors: FormState['errors'];
  formError: FieldProblem | null;
  credentials: readonly CredentialView[];
  /** Sources that sync into SQLite or PostgreSQL (a table input queries their database). */
  sources: readonly Source[];
  now: number;
  returnTo: string;
  initialStep?: number;
  mode: 'create' | 'edit';
  /** Whether to offer Add Credential (`credentials:write`). Default true. */
  canAddCredential?: boolean;
}

const OPERATION_HELP: Record<string, string> = {
  fix: 'mark fixed',
  open: 'reopen',
  ignore: 'ignore',
  snooze: 'snooze until a reopen rule',
  discard: 'drop new events (asks to confirm)',
  undiscard: 'keep new events again',
  override_severity: 'set the severity',
  assign: 'assign to a collaborator or a team',
  link_issue: 'link an issue URL',
  unlink_issue: 'unlink the issue',
  comment: 'post a comment',
};

export function destinationWizard(o: DestinationWizardOptions): SafeHtml {
  const v = o.values;
  const state: FormState = {
    values: {
      name: v.name,
      description: v.description,
      data_source_id: v.data_source_id,
      filter: v.filter,
      format: v.format,
      content: v.content,
      operation: v.operation,
      ...v.params,
    },
    errors: o.errors,
  };
  const f = (name: string, label: string, help: string, placeholder?: string) =>
    inputField({ name, label, idPrefix: 'dest', type: 'text', help, ...(placeholder ? { placeholder } : {}) }, state);
  return html`<form method="post" action="${o.action}" class="wizard" data-wizard data-enhance novalidate${attrs({ 'data-initial-step': o.initialStep ?? null })}>
${csrfInput(o.csrf)}
<nav aria-label="Steps of the wizard"><ol class="wizard-steps" data-wizard-nav>
${DESTINATION_STEPS.map((s, i) => html`<li><a href="#${s.id}" data-step-link="${i}"><span class="step-number" aria-hidden="true">${i + 1}</span> ${s.title}</a></li>`)}
</ol></nav>
${formError(o.formError)}
${step(
  0,
  html`<p class="field-help">snagsync writes back to one kind of destination.</p>
<ul class="tiles tiles-compact">
<li class="tile tile-pick"><div class="tile-pick-head"><input type="radio" class="tile-radio" id="connector-bugsnag" name="connector" value="bugsnag" checked aria-describedby="connector-bugsnag-help">
<label for="connector-bugsnag" class="tile-title tile-pick-label">Bugsnag</label></div>
<p class="tile-description" id="connector-bugsnag-help">Error workflow changes — fix, ignore, snooze, assign, comment… — applied to errors in Bugsnag, in bulk.</p></li>
</ul>`,
)}
${step(
  1,
  authenticateStep({
    credentials: o.credentials,
    selectedId: v.credential_id || null,
    returnTo: o.returnTo,
    now: o.now,
    legend: 'Pick a credential',
    ...(o.errors.credential_id ? { error: o.errors.credential_id } : {}),
    ...(o.canAddCredential === false ? { canAdd: false } : {}),
  }),
)}
${step(
  2,
  html`<fieldset class="group field" data-field="input_type"${attrs({ 'aria-invalid': o.errors.input_type ? 'true' : null })}>
<legend>Input: the errors to change</legend>
<ul class="checks">
<li class="check"><input${attrs({ type: 'radio', id: 'dest-input-table', name: 'input_type', value: 'table', checked: v.input_type === 'table' })}><label for="dest-input-table">A synced table, with a filter</label></li>
<li class="check"><input${attrs({ type: 'radio', id: 'dest-input-file', name: 'input_type', value: 'file', checked: v.input_type === 'file' })}><label for="dest-input-file">An uploaded file (JSONL or CSV)</label></li>
</ul>
${fieldError('dest-input_type', 'input_type', o.errors.input_type)}
</fieldset>
<fieldset class="group" data-shown-when="input_type=table"><legend>A synced table</legend>
${selectField(
  {
    name: 'data_source_id',
    label: 'Source',
    idPrefix: 'dest',
    help: o.sources.length
      ? 'Its errors table, as last synced.'
      : 'No source syncs into SQLite or PostgreSQL yet: upload a file instead.',
    options: [{ value: '', label: '—' }, ...o.sources.map((s) => ({ value: s.id, label: s.name }))],
  },
  state,
)}
${f('filter', 'Filter', "An SQL condition on the errors table, e.g. status = 'open' AND severity = 'info'. Empty: every error.", "status = 'open'")}
</fieldset>
<fieldset class="group" data-shown-when="input_type=file"><legend>An uploaded file</legend>
<div class="field"><label for="dest-file">File</label><p class="field-help" id="dest-file-help">One row per error: project_id, error_id, and optionally operation and its parameters (a row's own operation wins).</p>
<input type="file" id="dest-file" accept=".jsonl,.ndjson,.json,.csv,text/csv,application/json" data-file-into="dest-content" data-format-into="dest-format" aria-describedby="dest-file-help"></div>
${selectField(
  {
    name: 'format',
    label: 'Format',
    idPrefix: 'dest',
    options: [
      { value: 'jsonl', label: 'JSONL' },
      { value: 'csv', label: 'CSV' },
    ],
  },
  state,
)}
${textareaField({ name: 'content', label: 'Content', idPrefix: 'dest', rows: 5, help: 'The file as text (choosing a file fills it in; you can also paste rows).' }, state)}
<input type="hidden" name="filename" value="${v.filename}" data-filename-of="dest-file">
</fieldset>
<fieldset class="group"><legend>Operation</legend>
${selectField(
  {
    name: 'operation',
    label: 'Operation',
    idPrefix: 'dest',
    help: 'What every row gets unless it names its own.',
    options: OPERATION_NAMES.map((n) => ({ value: n, label: n, help: OPERATION_HELP[n] ?? '' })),
  },
  state,
)}
${params('override_severity', 'Severity', [
  selectField(
    {
      name: 'severity',
      label: 'Severity',
      idPrefix: 'dest',
      options: [
        { value: '', label: '—' },
        { value: 'info', label: 'info' },
        { value: 'warning', label: 'warning' },
        { value: 'error', label: 'error' },
      ],
    },
    state,
  ),
])}
${params('snooze', 'Snooze until', [
  selectField(
    {
      name: 'reopen_if',
      label: 'Reopen rule',
      idPrefix: 'dest',
      options: [
        { value: '', label: '—' },
        { value: 'n_additional_occurrences', label: 'after N more occurrences' },
        { value: 'n_occurrences_in_m_hours', label: 'N occurrences in M hours' },
        { value: 'occurs_after', label: 'if it occurs after N seconds' },
        { value: 'n_additional_users', label: 'after N more users' },
      ],
    },
    state,
  ),
  reopen(
    'n_additional_occurrences',
    f('additional_occurrences', 'More occurrences', 'For "after N more occurrences".'),
  ),
  reopen('n_occurrences_in_m_hours', f('occurrences', 'Occurrences', 'For "N occurrences in M hours".')),
  reopen('n_occurrences_in_m_hours', f('hours', 'Hours', 'For "N occurrences in M hours".')),
  reopen('occurs_after', f('seconds', 'Seconds', 'For "if it occurs after N seconds".')),
  reopen('n_additional_users', f('additional_users', 'More users', 'For "after N more users".')),
])}
${params('assign', 'Assign to', [
  f('assignee', 'Assignee', 'A collaborator: id, email or name. Or give a team.'),
  f('team', 'Team', 'A team: id or name.'),
])}
${params('link_issue', 'Link an issue', [f('issue_url', 'Issue URL', 'The URL of the issue to link.')])}
${params('comment', 'Comment', [
  textareaField(
    { name: 'message', label: 'Comment', idPrefix: 'dest', rows: 2, help: 'The comment to post on each error.' },
    state,
  ),
])}
</fieldset>`,
)}
${step(
  3,
  html`${inputField({ name: 'name', label: 'Destination name', idPrefix: 'dest', type: 'text', required: true, maxLength: NAME_MAX, help: 'How the destination is called in lists and the API.' }, state)}
${textareaField({ name: 'description', label: 'Description', idPrefix: 'dest', maxLength: DESCRIPTION_MAX, rows: 2, help: 'Optional: what it is for.' }, state)}
<p class="field-help">Saving sends nothing to Bugsnag. The next page plans it when you press Plan (reads the errors, changes nothing); then you apply.</p>
<div class="form-actions">
<a class="button" href="/destinations">Cancel</a>
${submitButton(o.mode === 'create' ? 'Save' : 'Save changes', { busyLabel: 'Saving…' })}
</div>`,
)}
</form>`;
}

/**
 * An operation's parameters, in a fieldset named after it: without JavaScript every operation's group shows, each
 * labelled; app.js shows only the chosen operation's (`data-shown-when`, and disables the others' inputs).
 */
function params(operation: string, title: string, fields: SafeHtml[]): SafeHtml {
  return html`<fieldset class="group operation-params" data-operation-params="${operation}" data-shown-when="operation=${operation}">
<legend>${title} <span class="muted">(parameters of ${operation})</span></legend>
${fields}
</fieldset>`;
}

/** A snooze parameter that belongs to one reopen rule: shown with JavaScript only while that rule is chosen. */
function reopen(rule: string, field: SafeHtml): SafeHtml {
  return html`<div data-shown-when="reopen_if=${rule}">${field}</div>`;
}

function step(i: number, body: SafeHtml): SafeHtml {
  const s = DESTINATION_STEPS[i]!;
  const last = i === DESTINATION_STEPS.length - 1;
  return html`<section class="wizard-step" id="${s.id}" data-step="${i}" aria-labelledby="${s.id}-title">
<h2 id="${s.id}-title" tabindex="-1" class="wizard-step-title"><span class="step-number" aria-hidden="true">${i + 1}</span> ${s.title}<span class="visually-hidden"> (step ${i + 1} of ${DESTINATION_STEPS.length})</span></h2>
${body}
<div class="wizard-buttons" data-wizard-buttons hidden>
${i > 0 ? html`<button type="button" class="button" data-wizard-back>Back</button>` : ''}
${last ? '' : html`<button type="button" class="button primary" data-wizard-next>Next</button>`}
</div>
</section>`;
}
