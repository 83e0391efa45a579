import type { CredentialView } from '../../credentials/view.js';
import { STREAMS } from '../../engine/index.js';
import { DESCRIPTION_MAX, NAME_MAX } from '../../store/names.js';
import type { FieldProblem } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import type { ProjectChoices } from '../sources/projects.js';
import {
  CRON_SCHEDULE,
  CUSTOM_SCHEDULE,
  defaultSqlitePath,
  WIZARD_OPTIONS,
  type WizardOption,
  type WizardValues,
} from '../sources/wizard-values.js';
import { authenticateStep } from './authenticate.js';
import { csrfInput, fieldError, formError, inputField, submitButton, textareaField, type FormState } from './form.js';
import { webAdvice } from '../runs/advice.js';
import { displayDestinationUrl } from '../../destinations/url.js';

/**
 * The source wizard (after Nexla's): 1 connector tile → 2 Authenticate (a credential tile, or add one) → 3 what to
 * read (organizations, projects, streams, options) with **Test** showing sample records → 4 destination →
 * 5 schedule → 6 name and save. One form: without JavaScript every step shows, in order, and the extra buttons
 * ("List the projects", "Test") re-render the page; app.js shows one step at a time (the list of steps stays
 * visible and clickable), fetches the projects when a credential is picked, and puts Test results in the panel.
 */

export interface WizardOptions {
  mode: 'create' | 'edit';
  action: string;
  csrf: string;
  values: WizardValues;
  errors: FormState['errors'];
  formError: FieldProblem | null;
  credentials: readonly CredentialView[];
  /** Null: no credential picked yet. */
  projects: ProjectChoices | null;
  /** Markup for the Test result panel (after a Test without JavaScript). */
  testResult: SafeHtml | null;
  home: string;
  now: number;
  returnTo: string;
  /** The step to show first with JavaScript (0-based). */
  initialStep?: number;
  /** Whether to offer Add Credential (`credentials:write`). Default true. */
  canAddCredential?: boolean;
}

export const STEPS = [
  { id: 'step-connector', title: 'Connector' },
  { id: 'step-authenticate', title: 'Authenticate' },
  { id: 'step-configure', title: 'What to read' },
  { id: 'step-destination', title: 'Destination' },
  { id: 'step-schedule', title: 'Schedule' },
  { id: 'step-save', title: 'Name and save' },
] as const;

export const PROJECTS_PANEL_ID = 'wizard-projects';
export const TEST_PANEL_ID = 'test-result';

export function sourceWizard(o: WizardOptions): SafeHtml {
  const v = o.values;
  const state: FormState = {
    values: {
      name: v.name,
      description: v.description,
      start_date: v.start_date,
      filters: v.filters,
      destination_path: v.destination_path,
    },
    errors: o.errors,
  };
  return html`<form method="post" action="${o.action}" class="wizard" data-wizard data-enhance novalidate${attrs({ 'data-initial-step': o.initialStep ?? null })}>
${csrfInput(o.csrf)}
<button type="submit" name="intent" value="save" class="visually-hidden" tabindex="-1" aria-hidden="true">Save</button>
<nav aria-label="Steps of the wizard"><ol class="wizard-steps" data-wizard-nav>
${STEPS.map((s, i) => html`<li><a href="#${s.id}" data-step-link="${i}"><span class="step-number" aria-hidden="true">${i + 1}</span> ${s.title}</a></li>`)}
</ol></nav>
${formError(o.formError)}
${step(
  0,
  html`<p class="field-help">snagsync reads one kind of data source.</p>
<ul class="tiles tiles-compact">
<li class="tile tile-pick"><div class="tile-pick-head"><input type="radio" class="tile-radio" id="connector-bugsnag" name="connector" value="bugsnag" checked aria-describedby="connector-bugsnag-help">
<label for="connector-bugsnag" class="tile-title tile-pick-label">Bugsnag</label></div>
<p class="tile-description" id="connector-bugsnag-help">Errors, events, releases, stability and more, from the Bugsnag Data Access API.</p></li>
</ul>`,
)}
${step(
  1,
  html`${authenticateStep({
    credentials: o.credentials,
    selectedId: o.values.credential_id || null,
    returnTo: o.returnTo,
    now: o.now,
    legend: 'Pick a credential',
    ...(o.errors.credential_id ? { error: o.errors.credential_id } : {}),
    ...(o.canAddCredential === false ? { canAdd: false } : {}),
  })}
<p class="wizard-inline-action" data-js-hidden><button type="submit" class="button" name="intent" value="load" data-busy-label="Listing…">List its organizations and projects</button></p>`,
)}
${step(
  2,
  html`<div id="${PROJECTS_PANEL_ID}" class="wizard-panel" tabindex="-1">${projectsBlock(o.values, o.projects, o.errors)}</div>
${streamsBlock(o.values, o.errors)}
<fieldset class="group"><legend>Options</legend>
${inputField({ name: 'start_date', label: 'Start date', idPrefix: 'wizard', type: 'text', help: 'The oldest data to sync: an ISO 8601 date (2026-01-01) or a relative time (7d, 2w). Empty: all history.', placeholder: '7d' }, state)}
${WIZARD_OPTIONS.map((opt) => optionField(opt, o))}
${textareaField({ name: 'filters', label: 'Filters', idPrefix: 'wizard', help: 'One FIELD=VALUE (or FIELD!=VALUE) a line, e.g. app.release_stage=production. Empty: everything.', rows: 3 }, state)}
<input type="hidden" name="filters_original" value="${o.values.filters_original}">
</fieldset>
${testBlock(o)}`,
)}
${step(3, destinationBlock(o, state))}
${step(4, scheduleBlock(o.values, o.errors))}
${step(
  5,
  html`${inputField({ name: 'name', label: 'Source name', idPrefix: 'wizard', type: 'text', required: true, maxLength: NAME_MAX, help: 'How the source is called in lists, the CLI and the API.' }, state)}
${textareaField({ name: 'description', label: 'Description', idPrefix: 'wizard', maxLength: DESCRIPTION_MAX, rows: 2, help: 'Optional: what it is for.' }, state)}
${checkbox('run_now', 'Run it now', o.values.run_now, 'Start a sync as soon as it is saved, and watch it.')}
<div class="form-actions">
<a class="button" href="/sources">Cancel</a>
${submitButton(o.mode === 'create' ? 'Save source' : 'Save changes', { name: 'intent', value: 'save', busyLabel: 'Saving…' })}
</div>`,
)}
</form>`;
}

function step(i: number, body: SafeHtml): SafeHtml {
  const s = STEPS[i]!;
  const last = i === STEPS.length - 1;
  return html`<section class="wizard-step" id="${s.id}" data-step="${i}" aria-labelledby="${s.id}-title">
<h2 id="${s.id}-title" tabindex="-1" class="wizard-step-title"><span class="step-number" aria-hidden="true">${i + 1}</span> ${s.title}<span class="visually-hidden"> (step ${i + 1} of ${STEPS.length})</span></h2>
${body}
<div class="wizard-buttons" data-wizard-buttons hidden>
${i > 0 ? html`<button type="button" class="button" data-wizard-back>Back</button>` : ''}
${last ? '' : html`<button type="button" class="button primary" data-wizard-next>Next</button>`}
</div>
</section>`;
}

/** A stream-owned option, as its declaration describes it (title, description, type). */
function optionField(opt: WizardOption, o: WizardOptions): SafeHtml {
  const value = o.values.options[opt.key];
  const help = `${opt.description}.`;
  if (opt.kind === 'boolean') return checkbox(opt.key, opt.title, value === true, help);
  const state: FormState = { values: { [opt.key]: typeof value === 'string' ? value : '' }, errors: o.errors };
  return inputField({ name: opt.key, label: opt.title, idPrefix: 'wizard', type: 'text', help }, state);
}

function checkbox(name: string, label: string, checked: boolean, help: string): SafeHtml {
  const id = `wizard-${name}`;
  return html`<div class="field field-check" data-field="${name}"><div class="check"><input${attrs({ type: 'checkbox', id, name, value: '1', checked, 'aria-describedby': `${id}-help` })}>
<label for="${id}">${label}</label></div><p class="field-help" id="${id}-help">${help}</p></div>`;
}

/** A group of checkboxes or radios with its legend, help and error slot (the slot is where app.js puts errors). */
function group(
  name: string,
  legend: string,
  help: string | null,
  problem: FieldProblem | undefined,
  body: SafeHtml,
): SafeHtml {
  const id = `wizard-${name}`;
  return html`<fieldset class="${problem ? 'group field has-error' : 'group field'}" data-field="${name}"${attrs({
    'aria-describedby': [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(' '),
    'aria-invalid': problem ? 'true' : null,
  })}>
<legend>${legend}</legend>
${help ? html`<p class="field-help" id="${id}-help">${help}</p>` : ''}
${body}
${fieldError(id, name, problem)}
</fieldset>`;
}

function choice(
  type: 'checkbox' | 'radio',
  name: string,
  value: string,
  label: SafeHtml | string,
  checked: boolean,
  extra: Record<string, string | null> = {},
): SafeHtml {
  const id = `wizard-${name}-${value.replace(/[^A-Za-z0-9_-]/g, '_') || 'none'}`;
  return html`<li class="check"><input${attrs({ type, id, name, value, checked, ...extra })}><label for="${id}">${label}</label></li>`;
}

/** Step 3's organizations and projects: what the credential reaches (re-rendered when another credential is picked). */
export function projectsBlock(
  values: WizardValues,
  choices: ProjectChoices | null,
  errors: FormState['errors'],
): SafeHtml {
  if (choices === null) {
    return html`<p class="empty" data-projects-state="none">Pick a credential first: its organizations and projects are listed here.</p>`;
  }
  const orgs = choices.organizations;
  const listed = new Set(orgs.flatMap((o) => o.projects.map((p) => p.id)));
  // Ids saved with the source that the listing did not return (it failed, or they are gone) stay visible and checked.
  const unlisted = values.project_ids.filter((id) => !listed.has(id));
  return html`${choices.error ? html`<div class="warning" role="note" data-projects-state="error"><p><strong>The projects could not be listed: ${choices.error.message}</strong>${webAdvice(choices.error.hint) ? html` ${webAdvice(choices.error.hint)}` : ''}</p><p>You can still sync all projects.</p></div>` : ''}
${group(
  'organizations',
  'Organizations',
  'None checked: every organization the credential reaches.',
  errors.organizations,
  html`<ul class="checks">${orgs.map((o) => choice('checkbox', 'organizations', o.id, o.name, values.organizations.includes(o.id)))}</ul>`,
)}
${group(
  'projects',
  'Projects',
  null,
  errors.projects,
  html`<ul class="checks checks-inline" data-projects-state="${choices.error ? 'error' : 'listed'}">
${choice('radio', 'project_mode', 'all', 'All projects', values.project_mode === 'all')}
${choice('radio', 'project_mode', 'include', 'Only the checked projects', values.project_mode === 'include')}
${choice('radio', 'project_mode', 'exclude', 'All but the checked projects', values.project_mode === 'exclude')}
</ul>
${orgs
  .filter((o) => o.projects.length > 0)
  .map(
    (o) =>
      html`<div class="project-org"><p class="project-org-name">${o.name}</p><ul class="checks checks-columns">${o.projects.map(
        (p) =>
          choice(
            'checkbox',
            'project_ids',
            p.id,
            html`${p.name} <span class="muted">${p.id}</span>`,
            values.project_ids.includes(p.id),
          ),
      )}</ul></div>`,
  )}
${unlisted.length ? html`<ul class="checks">${unlisted.map((id) => choice('checkbox', 'project_ids', id, html`<code>${id}</code> <span class="muted">(not listed now)</span>`, true))}</ul>` : ''}`,
)}`;
}

function streamsBlock(values: WizardValues, errors: FormState['errors']): SafeHtml {
  return group(
    'streams',
    'Streams',
    'What to sync. Heavy streams cost many requests and are off unless you check them.',
    errors.streams,
    html`<ul class="checks checks-columns streams">${STREAMS.map((e) =>
      choice(
        'checkbox',
        'streams',
        e.name,
        html`<span class="stream-name">${e.name}</span>${e.heavy ? html` <span class="badge badge-unverified">heavy</span>` : ''}${e.parent ? html` <span class="muted">(with ${e.parent})</span>` : ''}<span class="stream-description">${e.description}</span>`,
        values.streams.includes(e.name),
      ),
    )}</ul>`,
  );
}

function testBlock(o: WizardOptions): SafeHtml {
  const id = 'wizard-test_stream';
  return html`<div class="test-box">
<div class="field" data-field="test_stream"><label for="${id}">Test: read a few records of</label>
<div class="inline-controls"><select id="${id}" name="test_stream" aria-describedby="${id}-help ${id}-error">${STREAMS.map(
    (e) => html`<option${attrs({ value: e.name, selected: e.name === o.values.test_stream })}>${e.name}</option>`,
  )}</select>
${submitButton('Test', { name: 'intent', value: 'test', className: 'button', busyLabel: 'Reading…' })}</div>
<p class="field-help" id="${id}-help">Reads from the first project (or organization) with the settings above. Nothing is saved.</p>
${fieldError(id, 'test_stream', o.errors.test_stream)}</div>
<div id="${TEST_PANEL_ID}" class="result-panel" tabindex="-1" aria-live="polite" data-test-result>${o.testResult ?? ''}</div>
</div>`;
}

function destinationBlock(o: WizardOptions, state: FormState): SafeHtml {
  const v = o.values;
  const problem = o.errors.destination;
  const id = 'wizard-destination';
  const postgres = v.destination_kind === 'postgres';
  return html`<div class="${problem ? 'field has-error' : 'field'}" data-field="destination">
<fieldset class="group"><legend>Where the data goes</legend>
<ul class="checks">
${choice('radio', 'destination_kind', 'sqlite', html`SQLite file <span class="muted">— one table per stream, typed columns</span>`, v.destination_kind === 'sqlite')}
${choice('radio', 'destination_kind', 'postgres', html`PostgreSQL <span class="muted">— a schema of your database, one table per stream</span>`, postgres)}
${choice('radio', 'destination_kind', 'jsonl', html`JSONL folder <span class="muted">— one file per stream, a record a line</span>`, v.destination_kind === 'jsonl')}
</ul></fieldset>
<div data-shown-when="destination_kind=sqlite|jsonl">
<label for="${id}-path">File or folder <span class="muted">(SQLite or JSONL)</span></label>
<p class="field-help" id="${id}-help">Empty for SQLite: <code>${defaultSqlitePath(o.home)}</code> (the default). Relative paths are taken from the snagsync home. The destination is never deleted by snagsync.</p>
<input${attrs({
    type: 'text',
    id: `${id}-path`,
    name: 'destination_path',
    value: state.values.destination_path || null,
    placeholder: defaultSqlitePath(o.home),
    spellcheck: 'false',
    'aria-describedby': `${id}-help ${id}-error`,
    'aria-invalid': problem && !postgres ? 'true' : null,
  })}>
</div>
<div data-shown-when="destination_kind=postgres">
<label for="${id}-url">PostgreSQL URL</label>
<p class="field-help" id="${id}-url-help"><code>postgres://user:password@host:5432/database?schema=bugsnag</code>. A saved password is never shown: it appears as <code>[REDACTED]</code> and is kept unless you type a new URL.</p>
<input${attrs({
    type: 'text',
    id: `${id}-url`,
    name: 'destination_url',
    // What was typed comes back without its password (a failed Save without JavaScript): the password is typed again.
    value: v.destination_url ? displayDestinationUrl(v.destination_url) : null,
    placeholder: 'postgres://user:password@host:5432/database',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': `${id}-url-help ${id}-error`,
    'aria-invalid': problem && postgres ? 'true' : null,
  })}>
</div>
${fieldError(id, 'destination', problem)}
</div>`;
}

function scheduleBlock(v: WizardValues, errors: FormState['errors']): SafeHtml {
  const presets: Array<[string, string]> = [
    ['', 'None — only when run by hand'],
    ['every 15m', 'Every 15 minutes'],
    ['hourly', 'Every hour'],
    ['daily', 'Every day'],
    [CUSTOM_SCHEDULE, 'Custom'],
    [CRON_SCHEDULE, 'Custom (cron)'],
  ];
  const id = 'wizard-schedule';
  return group(
    'schedule',
    'How often to sync',
    'The scheduler runs the source this often; the next run counts from the end of the last one.',
    errors.schedule,
    html`<ul class="checks">${presets.map(([value, label]) => choice('radio', 'schedule_preset', value, label, v.schedule_preset === value))}</ul>
<label for="${id}-custom">Custom schedule</label>
<input${attrs({ type: 'text', id: `${id}-custom`, name: 'schedule_custom', value: v.schedule_custom || null, placeholder: 'every 6h', spellcheck: 'false', 'aria-describedby': `${id}-custom-help` })}>
<p class="field-help" id="${id}-custom-help">With "Custom": every N minutes, hours, days or weeks, e.g. every 30m, every 6h, every 2d.</p>
<label for="${id}-cron">Cron expression</label>
<input${attrs({ type: 'text', id: `${id}-cron`, name: 'schedule_cron', value: v.schedule_cron || null, placeholder: '*/5 * * * *', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': `${id}-cron-help` })}>
<p class="field-help" id="${id}-cron-help">With "Custom (cron)": five fields — minute hour day-of-month month day-of-week — read in UTC, e.g. */5 * * * * or 0 6 * * MON-FRI. Lead with CRON_TZ=Europe/Berlin for another timezone.</p>`,
  );
}
