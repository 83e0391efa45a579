import { bugsnagCredentialType } from '../../credentials/bugsnag-type.js';
import type { CredentialField } from '../../credentials/credential-type.js';
import type { CredentialInput } from '../../credentials/service.js';
import { html, type SafeHtml } from '../html.js';
import {
  csrfInput,
  formError,
  hiddenInput,
  inputField,
  selectField,
  submitButton,
  textareaField,
  type FormState,
} from './form.js';

/**
 * The credential form, generated from the credential type's fields (labels, help, required and secret flags, host
 * presets) — the same declaration the CLI options and the API validation come from. Three modes:
 *   create  every field (the Add New Credential overlay);
 *   edit    the fields that are not secret (name, description, host — a new host is verified with the stored token);
 *   token   the secret field alone (Replace token).
 */

export type CredentialFormMode = 'create' | 'edit' | 'token';

/** The select's value for "a host of my own"; the URL then comes in `host_custom`. */
export const CUSTOM_OPTION = 'custom';

const TYPE = bugsnagCredentialType;

export function formFields(mode: CredentialFormMode): readonly CredentialField[] {
  return TYPE.fields.filter((f) => (mode === 'create' ? true : mode === 'token' ? f.secret : !f.secret));
}

/** Where the tile of a saved credential goes: the Credentials page, or an Authenticate step (a radio named `input`). */
export interface TileTarget {
  variant: 'manage' | 'pick';
  inputName?: string;
}

export interface CredentialFormOptions {
  mode: CredentialFormMode;
  action: string;
  csrf: string;
  state: FormState;
  /** Where "Cancel" goes without JS, and where to return after saving (a local path). */
  returnTo?: string;
  tile?: TileTarget;
  /** Shown on the edit/token forms. */
  credentialName?: string;
}

const SUBMIT: Record<CredentialFormMode, { label: string; busy: string }> = {
  create: { label: 'Save', busy: 'Checking the token…' },
  edit: { label: 'Save', busy: 'Saving…' },
  token: { label: 'Save', busy: 'Checking the token…' },
};

export function credentialForm(options: CredentialFormOptions): SafeHtml {
  const { mode, state } = options;
  const idPrefix = `credential-${mode}`;
  const fields = formFields(mode);
  const firstWithError = fields.find((f) => state.errors[f.name]);
  const focusName = firstWithError?.name ?? fields[0]?.name;
  return html`<form method="post" action="${options.action}" class="credential-form" data-enhance novalidate data-form="credential-${mode}">
${csrfInput(options.csrf)}
${hiddenInput('return_to', options.returnTo)}
${options.tile ? hiddenInput('tile', options.tile.variant) : ''}
${options.tile?.inputName ? hiddenInput('tile_input', options.tile.inputName) : ''}
${formError(state.formError)}
${fields.map((f) => renderField(f, mode, idPrefix, state, f.name === focusName))}
${mode !== 'edit' ? tokenSteps() : ''}
${mode !== 'create' && fields.some((f) => f.secret || f.name === 'host') ? html`<p class="form-note">A new token or host is checked with Bugsnag before it is saved; if the check fails, nothing changes.</p>` : ''}
<div class="form-actions">
<a class="button" href="${options.returnTo ?? '/credentials'}" data-close>Cancel</a>
${submitButton(SUBMIT[mode].label, { busyLabel: SUBMIT[mode].busy })}
</div>
</form>`;
}

function renderField(
  f: CredentialField,
  mode: CredentialFormMode,
  idPrefix: string,
  state: FormState,
  autofocus: boolean,
): SafeHtml {
  // In edit mode the name stays required; description and host are optional as in the type.
  const base = {
    name: f.name,
    label: f.label,
    idPrefix,
    required: f.required && !(mode === 'edit' && f.default !== undefined),
    help: f.help,
    ...(f.placeholder ? { placeholder: f.placeholder } : {}),
    ...(f.maxLength !== undefined ? { maxLength: f.maxLength } : {}),
    secret: f.secret,
    autofocus,
  };
  if (f.options) {
    const custom = f.options.find((o) => o.custom);
    return selectField(
      {
        ...base,
        options: f.options.map((o) => ({
          value: o.custom ? CUSTOM_OPTION : o.value,
          label: o.label,
          ...(o.help && !o.custom ? { help: o.help } : {}),
        })),
        ...(custom
          ? {
              custom: {
                value: CUSTOM_OPTION,
                label: `${custom.label} API URL (when ${custom.label} is chosen)`,
                placeholder: 'https://api.bugsnag.example.com',
                ...(custom.help ? { help: custom.help } : {}),
              },
            }
          : {}),
      },
      state,
    );
  }
  if (f.input === 'textarea') return textareaField(base, state);
  return inputField(
    {
      ...base,
      type: f.input === 'password' ? 'password' : f.input === 'url' ? 'url' : 'text',
      autocomplete: f.secret ? 'off' : 'off',
    },
    state,
  );
}

/** Where to get a Personal Auth Token, step by step (the type's own text), folded away until asked for. */
function tokenSteps(): SafeHtml {
  return html`<details class="token-steps"><summary>How to get a Personal Auth Token</summary><ol>${TYPE.secretHelp.map((s) => html`<li>${s}</li>`)}</ol></details>`;
}

/**
 * The form body → the service's input, and the values to re-render. A field missing from the form is left out (so
 * edit does not clear what it does not show); `host=custom` takes the URL from `host_custom`.
 */
export function credentialInputFromForm(
  body: Readonly<Record<string, unknown>>,
  mode: CredentialFormMode,
): { input: CredentialInput; values: Record<string, string>; customHostMissing: boolean } {
  const input: Record<string, string> = {};
  const values: Record<string, string> = {};
  let customHostMissing = false;
  for (const f of formFields(mode)) {
    const given: unknown = body[f.name];
    const first: unknown = Array.isArray(given) ? given[0] : given;
    if (typeof first !== 'string') continue;
    let v = first;
    if (f.options && v === CUSTOM_OPTION) {
      const custom = body[`${f.name}_custom`];
      v = typeof custom === 'string' ? custom.trim() : '';
      if (v === '') customHostMissing = true;
    }
    input[f.name] = v;
    if (!f.secret) values[f.name] = v === '' && f.options ? CUSTOM_OPTION : v;
  }
  return { input: input as CredentialInput, values, customHostMissing };
}
