/**
 * HTML built with a tagged template that escapes every interpolated value by default. Only a `SafeHtml` (the result
 * of `html`…`` itself, or of `raw`, used for trusted constant markup) is inserted as is. Pages and components are
 * plain functions returning `SafeHtml`, so there is no template engine and nothing to configure: forgetting to escape
 * takes a deliberate `raw(...)`.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((v: HtmlValue) => render(v)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** Trusted markup, inserted unescaped. Never pass it anything that came from a request or the store. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

export type AttrValue = string | number | boolean | null | undefined;

/**
 * Attributes from an object: `true` → the bare attribute, `false`/null/undefined → left out, anything else escaped.
 * `attrs({ id: 'x', hidden: false, 'aria-invalid': bad ? 'true' : null })` → ` id="x"`.
 */
export function attrs(map: Readonly<Record<string, AttrValue>>): SafeHtml {
  let out = '';
  for (const [name, value] of Object.entries(map)) {
    if (value === null || value === undefined || value === false) continue;
    if (!/^[a-zA-Z_:][-a-zA-Z0-9_:.]*$/.test(name)) throw new Error(`not an attribute name: ${name}`);
    out += value === true ? ` ${name}` : ` ${name}="${escapeHtml(String(value))}"`;
  }
  return new SafeHtml(out);
}

/** Joins class names, dropping empty ones. */
export function classes(...names: Array<string | false | null | undefined>): string {
  return names.filter(Boolean).join(' ');
}
