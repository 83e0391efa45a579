import { CSRF_FIELD } from '../csrf.js';
import type { FieldProblem } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { webAdvice } from '../runs/advice.js';

/**
 * Forms with inline field errors, shared by every page. A field is a wrapper `[data-field=NAME]` holding its label
 * (an asterisk for required fields), help text, the control and an error slot. The control points at the help and
 * the error with `aria-describedby`; a field in error gets `aria-invalid="true"` and its message and hint in the
 * slot. The slot is always rendered (empty and hidden when there is no error) so that app.js can fill it in after a
 * fetch without re-rendering the form — which is how a typed secret survives an error on another field.
 *
 * A page re-rendered after a failed POST passes a `FormState`: the values to keep and the problems to show. Secret
 * values are never put back into the HTML (`secret: true` fields render empty).
 */

export interface FormState {
  values: Readonly<Record<string, string | undefined>>;
  errors: Readonly<Record<string, FieldProblem | undefined>>;
  /** A failure of the whole form (rate limited, Bugsnag server error, a conflict with no field). */
  formError?: FieldProblem | null;
}

export const emptyForm: FormState = { values: {}, errors: {} };

export interface FieldSpec {
  name: string;
  label: string;
  /** Prefix for element ids, so that two forms on one page cannot clash. */
  idPrefix: string;
  required?: boolean;
  help?: string;
  placeholder?: string;
  maxLength?: number;
  autocomplete?: string;
  /** Never echoed back into the page. */
  secret?: boolean;
  /** Focus here when the form opens. */
  autofocus?: boolean;
}

export interface InputSpec extends FieldSpec {
  type: 'text' | 'password' | 'url' | 'email' | 'search';
}

export interface SelectSpec extends FieldSpec {
  options: ReadonlyArray<{ value: string; label: string; help?: string }>;
  /** An extra text input `NAME_custom`, shown while the option `customValue` is chosen (an on-premise URL). */
  custom?: { value: string; label: string; placeholder?: string; help?: string };
}

export const fieldId = (spec: Pick<FieldSpec, 'idPrefix' | 'name'>) => `${spec.idPrefix}-${spec.name}`;

function describedBy(id: string, spec: FieldSpec): string {
  return [spec.help ? `${id}-help` : null, spec.maxLength !== undefined ? `${id}-count` : null, `${id}-error`]
    .filter(Boolean)
    .join(' ');
}

/**
 * The length limit, said next to the field (no `maxlength`: the browser would cut a long paste without a word). app.js
 * keeps the count live and says when the text is too long; the server refuses it on save either way. Characters are
 * code points, as the server counts them.
 */
function lengthCounter(id: string, spec: FieldSpec, value: string): SafeHtml | '' {
  if (spec.maxLength === undefined) return '';
  const length = [...value].length;
  const over = length > spec.maxLength;
  return html`<p class="${over ? 'field-counter is-over' : 'field-counter'}" id="${id}-count" data-counter-for="${id}" data-max-length="${spec.maxLength}" aria-live="polite"><span data-count aria-hidden="true">${lengthText(length, spec.maxLength)}</span><span class="visually-hidden" data-count-said>${over ? tooLongText(spec.maxLength) : `At most ${spec.maxLength.toLocaleString('en-US')} characters.`}</span></p>`;
}

const lengthText = (length: number, max: number) =>
  `${length.toLocaleString('en-US')} / ${max.toLocaleString('en-US')} characters${length > max ? `: ${(length - max).toLocaleString('en-US')} too many` : ''}`;
const tooLongText = (max: number) =>
  `Too long: at most ${max.toLocaleString('en-US')} characters. Shorten it before saving.`;

function label(id: string, spec: FieldSpec): SafeHtml {
  return html`<label for="${id}">${spec.label}${spec.required ? html`<span class="required" aria-hidden="true"> *</span><span class="visually-hidden"> (required)</span>` : ''}</label>`;
}

/** The error slot: message, then what to do. */
export function fieldError(id: string, fieldName: string, problem: FieldProblem | undefined): SafeHtml {
  return html`<p class="field-error" id="${id}-error" data-error-for="${fieldName}"${attrs({ hidden: !problem })}>${
    problem
      ? html`<span class="error-message">${problem.message}</span>${webAdvice(problem.hint) ? html` <span class="error-hint">${webAdvice(problem.hint)}</span>` : ''}`
      : ''
  }</p>`;
}

function help(id: string, spec: FieldSpec): SafeHtml | '' {
  return spec.help ? html`<p class="field-help" id="${id}-help">${spec.help}</p>` : '';
}

function wrapper(spec: FieldSpec, problem: FieldProblem | undefined, inner: SafeHtml): SafeHtml {
  return html`<div class="${problem ? 'field has-error' : 'field'}" data-field="${spec.name}">${inner}</div>`;
}

function controlAttrs(id: string, spec: FieldSpec, problem: FieldProblem | undefined) {
  return {
    id,
    name: spec.name,
    required: spec.required === true,
    'aria-required': spec.required ? 'true' : null,
    'aria-invalid': problem ? 'true' : null,
    'aria-describedby': describedBy(id, spec),
    placeholder: spec.placeholder ?? null,
    autocomplete: spec.autocomplete ?? null,
    autofocus: spec.autofocus === true,
    'data-autofocus': spec.autofocus ? 'true' : null,
  };
}

export function inputField(spec: InputSpec, state: FormState = emptyForm): SafeHtml {
  const id = fieldId(spec);
  const problem = state.errors[spec.name];
  const value = spec.secret ? '' : (state.values[spec.name] ?? '');
  const extra = spec.type === 'password' ? { spellcheck: 'false', autocapitalize: 'off' } : {};
  return wrapper(
    spec,
    problem,
    html`${label(id, spec)}${help(id, spec)}<input${attrs({ type: spec.type, ...controlAttrs(id, spec, problem), ...extra, value: value || null })}>${lengthCounter(id, spec, value)}${fieldError(id, spec.name, problem)}`,
  );
}

export function textareaField(spec: FieldSpec & { rows?: number }, state: FormState = emptyForm): SafeHtml {
  const id = fieldId(spec);
  const problem = state.errors[spec.name];
  return wrapper(
    spec,
    problem,
    html`${label(id, spec)}${help(id, spec)}<textarea${attrs({ ...controlAttrs(id, spec, problem), rows: spec.rows ?? 3 })}>${state.values[spec.name] ?? ''}</textarea>${lengthCounter(id, spec, state.values[spec.name] ?? '')}${fieldError(id, spec.name, problem)}`,
  );
}

/**
 * A select; with `custom`, an extra input named `NAME_custom` for a value of the user's own. Without JS the extra
 * input is always visible (its label says when it is used); app.js hides it unless the custom option is chosen.
 */
export function selectField(spec: SelectSpec, state: FormState = emptyForm): SafeHtml {
  const id = fieldId(spec);
  const problem = state.errors[spec.name];
  const current = state.values[spec.name] ?? spec.options[0]?.value ?? '';
  const isPreset = spec.options.some((o) => o.value === current && o.value !== spec.custom?.value);
  const selected = isPreset ? current : spec.custom ? spec.custom.value : current;
  const customValue = !isPreset && spec.custom && current !== spec.custom.value ? current : '';
  const customId = `${id}-custom`;
  const customShown = selected === spec.custom?.value;
  return wrapper(
    spec,
    problem,
    html`${label(id, spec)}${help(id, spec)}<select${attrs({
      ...controlAttrs(id, spec, problem && !customShown ? problem : undefined),
      placeholder: null,
      'data-custom-toggle': spec.custom ? customId : null,
      'data-custom-value': spec.custom?.value ?? null,
    })}>${spec.options.map(
      (o) =>
        html`<option${attrs({ value: o.value, selected: o.value === selected })}>${o.label}${o.help ? ` (${o.help})` : ''}</option>`,
    )}</select>${
      spec.custom
        ? html`<div class="custom-input" id="${customId}-wrap" data-custom-wrap="${customId}">
<label for="${customId}">${spec.custom.label}</label>${spec.custom.help ? html`<p class="field-help" id="${customId}-help">${spec.custom.help}</p>` : ''}
<input${attrs({
            type: 'url',
            id: customId,
            name: `${spec.name}_custom`,
            value: customValue || null,
            placeholder: spec.custom.placeholder ?? null,
            autocomplete: 'url',
            spellcheck: 'false',
            'aria-invalid': problem && customShown ? 'true' : null,
            'aria-describedby': [spec.custom.help ? `${customId}-help` : null, `${id}-error`].filter(Boolean).join(' '),
          })}></div>`
        : ''
    }${fieldError(id, spec.name, problem)}`,
  );
}

export function csrfInput(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

export function hiddenInput(name: string, value: string | null | undefined): SafeHtml | '' {
  return value === null || value === undefined ? '' : html`<input type="hidden" name="${name}" value="${value}">`;
}

/** The form-level error region (filled by the server, or by app.js after a fetch). */
export function formError(problem: FieldProblem | null | undefined): SafeHtml {
  return html`<div class="form-error" role="alert" data-form-error${attrs({ hidden: !problem })}>${
    problem
      ? html`<p><strong>${problem.message}</strong>${webAdvice(problem.hint) ? html` ${webAdvice(problem.hint)}` : ''}</p>`
      : ''
  }</div>`;
}

/** A submit button whose label app.js swaps while the request runs (`data-busy-label`). */
export function submitButton(
  labelText: string,
  options: { busyLabel?: string; className?: string; name?: string; value?: string } = {},
): SafeHtml {
  return html`<button${attrs({
    type: 'submit',
    class: options.className ?? 'button primary',
    'data-busy-label': options.busyLabel ?? null,
    name: options.name ?? null,
    value: options.value ?? null,
  })}>${labelText}</button>`;
}
