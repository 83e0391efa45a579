import type { CredentialView } from '../../credentials/view.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { fieldError } from './form.js';
import type { FieldProblem } from '../errors.js';
import { addTile, pickTile } from './tiles.js';

/**
 * The Authenticate step of a wizard (a source now, a destination later): pick one credential tile, or add one. It
 * renders inside the wizard's own `<form>` as a radio group named `inputName`; its Add tile links to
 * `/credentials/new?tile=pick&tile_input=NAME&return_to=WIZARD_URL`:
 *  - with JS, app.js opens that form as the overlay (outside the wizard's form — forms cannot nest); on success the
 *    server answers with a pick tile, which app.js inserts before the Add tile, checks and focuses;
 *  - without JS, the link opens the form page; after saving, the browser returns to `return_to` with
 *    `?credential_id=ID` (the parameter named like the input), so the wizard can render that tile checked.
 */

export interface AuthenticateOptions {
  credentials: readonly CredentialView[];
  /** The radio group's name in the wizard's form. Default `credential_id`. */
  inputName?: string;
  /** The credential to show checked (e.g. from `?credential_id=` after adding one without JS). */
  selectedId?: string | null;
  /** The wizard page to come back to after adding a credential without JS. */
  returnTo: string;
  now: number;
  legend?: string;
  /** "Pick a credential" when the wizard was submitted without one. */
  error?: FieldProblem;
  /** Whether to offer the Add Credential tile (`credentials:write`). Default true. */
  canAdd?: boolean;
}

export function authenticateStep(options: AuthenticateOptions): SafeHtml {
  const inputName = options.inputName ?? 'credential_id';
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(inputName)) throw new Error(`not a form input name: ${inputName}`);
  const id = `authenticate-${inputName}`;
  const addHref = `/credentials/new?${new URLSearchParams({ tile: 'pick', tile_input: inputName, return_to: options.returnTo }).toString()}`;
  return html`<fieldset class="authenticate" id="${id}" data-field="${inputName}"${attrs({ 'aria-describedby': `${id}-help ${id}-${inputName}-error`, 'aria-invalid': options.error ? 'true' : null })}>
<legend>${options.legend ?? 'Authenticate'}</legend>
<p class="field-help" id="${id}-help">Pick the credential to read Bugsnag with${options.canAdd === false ? '' : ', or add one'}.</p>
<ul class="tiles" data-tiles="pick" data-tile-input="${inputName}">
${options.credentials.map((c) => pickTile(c, { now: options.now, inputName, checked: c.id === options.selectedId }))}
${options.canAdd === false ? '' : addTile(addHref)}
</ul>
${fieldError(`${id}-${inputName}`, inputName, options.error)}
</fieldset>`;
}
