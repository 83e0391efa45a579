import { z } from 'zod';
import { SnagError, type ErrorCode } from '../core/errors.js';

/**
 * The shape of a credential type, declared as data (after n8n credential types and Nango providers): the fields a
 * user fills in, how requests authenticate, how a credential is verified, and how each verification failure maps to
 * a message, a hint, an exit code and the form field it belongs to. The CLI options and prompt, the web form and the
 * API validation are all generated from one such object, so they cannot drift apart.
 */

export type CredentialFieldName = 'name' | 'description' | 'token' | 'host';

export interface FieldOption {
  value: string;
  label: string;
  help?: string;
  /** The option that lets the user type their own value (an on-premise URL). */
  custom?: boolean;
}

/** What a field's normaliser returns: the value to use, and what it changed, to tell the user. */
export interface Normalized<T> {
  value: T;
  note?: string;
}

export interface CredentialField<T = unknown> {
  name: CredentialFieldName;
  /** Label in the form, and the CLI prompt. */
  label: string;
  input: 'text' | 'textarea' | 'password' | 'url';
  required: boolean;
  /** Write-only: read once, stored sealed, never shown or returned again (only its last four characters). */
  secret: boolean;
  maxLength?: number;
  /** Used when the field is left out (create only). */
  default?: string;
  placeholder?: string;
  /** Short help shown with the field (form) and in `--help` (CLI). */
  help: string;
  /** Preset values (the host's deployments). */
  options?: readonly FieldOption[];
  /**
   * Turns raw input into the stored value, or throws SnagError('config') saying what is wrong. The error's
   * `details.field` is filled in by `parseCredentialInput`, so normalisers need not know their field's name.
   */
  normalize(raw: string): Normalized<T>;
}

/** How every request made with the credential authenticates; `{token}` stands for the secret. */
export interface AuthSpec {
  type: 'header';
  headers: Readonly<Record<string, string>>;
}

/** The call that proves a credential works, and what counts as success. */
export interface VerifySpec {
  method: 'GET';
  path: string;
  query: Readonly<Record<string, string>>;
  success: string;
  /** Per attempt. Verification is interactive: a user is waiting for the form or the command. */
  timeoutMs: number;
  /** Retries of network failures and 5xx. 429 is never waited out while a user waits: it is reported at once. */
  retries: number;
  backoffMs: number;
}

/** Facts a failure message may use. Never holds the token. */
export interface FailureContext {
  host: string;
  status?: number;
  /** What the server said (Bugsnag's error texts), when anything. */
  said?: string;
  /** Network or TLS reason ("connection refused", "certificate has expired"). */
  reason?: string;
  retryAfterSeconds?: number;
  /** What the answer looked like when it was not the API ("an HTML page"). */
  got?: string;
  /** The stored credential's name, when a stored credential is being checked (to say how to replace its token). */
  credential?: string;
  /** Whose advice: the CLI's (commands), or the server's (the API and the web UI: pages, buttons, endpoints). */
  face?: 'cli' | 'server';
}

export interface FailureSpec {
  code: ErrorCode;
  /** The form field the failure is shown on; null for a failure of the whole form (rate limit, server error). */
  field: CredentialFieldName | null;
  message(ctx: FailureContext): string;
  hint(ctx: FailureContext): string;
}

export interface CredentialType<F extends string = string> {
  id: string;
  label: string;
  description: string;
  /** How to get the secret, step by step (form help text, CLI prompt preamble, README). */
  secretHelp: readonly string[];
  fields: readonly CredentialField[];
  authenticate: AuthSpec;
  verify: VerifySpec;
  failures: Readonly<Record<F, FailureSpec>>;
}

/** A field-level problem, as the form shows it next to the field and the API returns it. */
export interface FieldError {
  message: string;
  hint?: string;
}

export type FieldErrors = Partial<Record<CredentialFieldName, FieldError>>;

export type InputMode = 'create' | 'update';

/**
 * The zod schema of a credential type's input (strict: unknown keys are refused), generated from its fields. In
 * `update` mode every field is optional. Each field's normaliser runs as a refinement, so the issues carry the same
 * messages as the CLI; `z.toJSONSchema(schema, { io: 'input' })` gives the form/API document.
 */
export function inputSchema(
  type: CredentialType,
  mode: InputMode,
): z.ZodObject<Record<string, z.ZodType<string | undefined>>> {
  const shape: Record<string, z.ZodType<string | undefined>> = {};
  for (const field of type.fields) {
    const refined = z.string({ error: `${field.label} must be text.` }).superRefine((value, ctx) => {
      if (!field.required && value.trim() === '') return;
      try {
        field.normalize(value);
      } catch (err) {
        const e = err instanceof SnagError ? err : new SnagError('config', String(err));
        ctx.addIssue({ code: 'custom', message: e.message, params: { hint: e.hint } });
      }
    });
    // Lengths are checked by the normaliser in characters (code points), which is also what JSON Schema's maxLength
    // counts; zod's own .max() would count UTF-16 units, so it is only declared here, for the document.
    const described = refined.meta({
      title: field.label,
      description: field.help,
      ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
      ...(field.default !== undefined ? { default: field.default } : {}),
      ...(field.secret ? { writeOnly: true, format: 'password' } : {}),
      ...(field.options ? { examples: field.options.filter((o) => !o.custom).map((o) => o.value) } : {}),
    });
    const optional = mode === 'update' || !field.required || field.default !== undefined;
    shape[field.name] = optional ? described.optional() : described;
  }
  return z.strictObject(shape);
}

/** Parsed, normalised input: field name → value, plus the notes of what was changed. */
export interface ParsedInput {
  values: Partial<Record<CredentialFieldName, unknown>>;
  notes: Partial<Record<CredentialFieldName, string>>;
}

/**
 * Validates and normalises every field at once, so that a form can show all problems together. Throws
 * SnagError('config') for the first problem (in field order), with `details.field` and `details.fields` (all of them).
 * In `update` mode only the fields present are checked; in `create` mode defaults fill the missing ones.
 */
export function parseCredentialInput(type: CredentialType, raw: unknown, mode: InputMode): ParsedInput {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SnagError('config', 'The credential input must be an object of fields.', {
      hint: `Give ${type.fields.map((f) => f.name).join(', ')}.`,
    });
  }
  const input = raw as Record<string, unknown>;
  const known = new Set<string>(type.fields.map((f) => f.name));
  const unknown = Object.keys(input).filter((k) => !known.has(k) && input[k] !== undefined);
  if (unknown.length > 0) {
    throw new SnagError(
      'config',
      `Unknown credential field${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}.`,
      {
        hint: `A ${type.label} credential has the fields ${[...known].join(', ')}.`,
        details: { unknown_fields: unknown },
      },
    );
  }
  const errors: FieldErrors = {};
  const out: ParsedInput = { values: {}, notes: {} };
  for (const field of type.fields) {
    let value = input[field.name];
    if (value === undefined || value === null) {
      if (mode === 'update') continue;
      if (field.default !== undefined) value = field.default;
      else if (!field.required) value = '';
    }
    if (value === undefined || value === null) {
      errors[field.name] = { message: `${field.label} is required.`, hint: field.help };
      continue;
    }
    if (typeof value !== 'string') {
      errors[field.name] = { message: `${field.label} must be text.` };
      continue;
    }
    try {
      const n = field.normalize(value);
      out.values[field.name] = n.value;
      if (n.note) out.notes[field.name] = n.note;
    } catch (err) {
      if (!(err instanceof SnagError)) throw err;
      errors[field.name] = err.hint ? { message: err.message, hint: err.hint } : { message: err.message };
    }
  }
  const first = type.fields.find((f) => errors[f.name]);
  if (first) throw fieldErrors(errors, first.name);
  return out;
}

/** One SnagError('config') for several field problems, the first one as its message. */
export function fieldErrors(errors: FieldErrors, first: CredentialFieldName): SnagError {
  const e = errors[first]!;
  return new SnagError('config', e.message, {
    ...(e.hint ? { hint: e.hint } : {}),
    details: { field: first, fields: errors },
  });
}

/** Adds (or replaces) `details.field` on an error, keeping everything else, so a form can place it. */
export function onField(err: SnagError, field: CredentialFieldName): SnagError {
  if (err.details.field === field) return err;
  return new SnagError(err.code, err.message, {
    ...(err.hint ? { hint: err.hint } : {}),
    ...(err.serverHint ? { serverHint: err.serverHint } : {}),
    ...(err.status !== undefined ? { status: err.status } : {}),
    details: { ...err.details, field },
    cause: err,
  });
}

/** The request headers a type declares, with the secret filled in (the client sends the same; a test holds them equal). */
export function authHeaders(type: CredentialType, token: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(type.authenticate.headers)) out[k] = v.replaceAll('{token}', token);
  return out;
}
