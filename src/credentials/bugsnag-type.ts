import { DEFAULT_API_BASE_URL, type NormalizedHost } from '../bugsnag/hosts.js';
import { DESCRIPTION_MAX, NAME_MAX, validateDescription, validateName } from '../core/names.js';
import {
  inputSchema,
  parseCredentialInput,
  type CredentialField,
  type CredentialType,
  type FailureContext,
  type InputMode,
} from './credential-type.js';
import { normalizeToken, resolveHost, TOKEN_HELP } from './input.js';

/**
 * The Bugsnag credential type: a Personal Auth Token and the Data Access API host it belongs to. Everything a face
 * needs to ask for one, check it and explain a failure is here, as data.
 */

/** Every way verification can fail, each with its own message, hint, exit code and form field (below). */
export type BugsnagFailure =
  | 'project_key'
  | 'revoked'
  | 'invalid'
  | 'not_user_token'
  | 'forbidden'
  | 'dns'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'not_bugsnag'
  | 'rate_limited'
  | 'server_error';

const HOSTS_HINT =
  'The API host is https://api.bugsnag.com for app.bugsnag.com, https://api.bugsnag.smartbear.com for ' +
  'app.bugsnag.smartbear.com, or the API URL of your on-premise install (usually https://api.<your-domain>).';

const REPLACE = (ctx: FailureContext) => {
  if (!ctx.credential) return '';
  return ctx.face === 'server'
    ? ` Then replace the stored one: "Replace token" on the tile of "${ctx.credential}" in the web UI, or PUT /api/data_credentials/{id} with the new credentials.auth_token.`
    : ` Then replace the stored one: snagsync credentials update "${ctx.credential}" --token-stdin.`;
};

const fields: readonly CredentialField[] = [
  {
    name: 'name',
    label: 'Credential Name',
    input: 'text',
    required: true,
    secret: false,
    maxLength: NAME_MAX,
    placeholder: 'Bugsnag production',
    help: `A name to pick this credential by: 1–${NAME_MAX} characters, unique (case does not count).`,
    normalize: (raw) => ({ value: validateName(raw, 'credential') }),
  } satisfies CredentialField<string>,
  {
    name: 'description',
    label: 'Credential Description',
    input: 'textarea',
    required: false,
    secret: false,
    maxLength: DESCRIPTION_MAX,
    placeholder: 'Read-only token of the data team; hourly sync of errors and events',
    help: 'Optional, recommended: what the credential is for, whose token it is, how fresh the data should be.',
    normalize: (raw) => ({ value: validateDescription(raw, 'credential') }),
  } satisfies CredentialField<string | null>,
  {
    name: 'token',
    label: 'Auth Token',
    input: 'password',
    required: true,
    secret: true,
    placeholder: 'Personal Auth Token',
    help:
      `${TOKEN_HELP} The token acts as your Bugsnag user, with all of that user's access: treat it like a password. ` +
      'snagsync stores it encrypted and never shows it again, only its last four characters.',
    normalize: normalizeToken,
  } satisfies CredentialField<string>,
  {
    name: 'host',
    label: 'API host',
    input: 'url',
    required: false,
    secret: false,
    default: DEFAULT_API_BASE_URL,
    placeholder: DEFAULT_API_BASE_URL,
    help: 'Where the Data Access API of your Bugsnag is. A pasted dashboard address is turned into its API host.',
    options: [
      { value: 'https://api.bugsnag.com', label: 'Bugsnag', help: 'app.bugsnag.com' },
      {
        value: 'https://api.bugsnag.smartbear.com',
        label: 'SmartBear-hosted BugSnag',
        help: 'app.bugsnag.smartbear.com',
      },
      {
        value: '',
        label: 'On-premise',
        help: 'The API URL of your own install, e.g. https://api.bugsnag.example.com',
        custom: true,
      },
    ],
    normalize: resolveHost,
  } satisfies CredentialField<NormalizedHost>,
];

export const bugsnagCredentialType = {
  id: 'bugsnag',
  label: 'Bugsnag',
  description: 'A Bugsnag Personal Auth Token for the Data Access API v2.',
  secretHelp: [
    'In Bugsnag, open My account settings → Personal auth tokens.',
    'Click Generate New Token, give it a description (e.g. "snagsync") and pick the organization to read.',
    'Copy the token at once: Bugsnag shows it only once.',
    'The token acts as you, with all your access; snagsync stores it encrypted and shows only its last four characters.',
  ],
  fields,
  authenticate: {
    type: 'header',
    headers: { Authorization: 'token {token}', 'X-Version': '2' },
  },
  verify: {
    method: 'GET',
    path: '/user/organizations',
    query: { per_page: '100' },
    success:
      'HTTP 200 with a JSON array of organizations (id, name, slug): the organizations the token reaches, often one.',
    timeoutMs: 15_000,
    retries: 1,
    backoffMs: 500,
  },
  failures: {
    project_key: {
      code: 'auth_project_key',
      field: 'token',
      message: (c) =>
        `Bugsnag rejected the token (401${c.said ? `: ${c.said}` : ''}). It looks like a project API key (32 hexadecimal characters, ` +
        'from Project settings), which sends errors to Bugsnag but cannot read data.',
      hint: () => `Use a Personal Auth Token instead. ${TOKEN_HELP}`,
    },
    revoked: {
      code: 'auth_revoked',
      field: 'token',
      message: (c) =>
        `Bugsnag now rejects this token (401${c.said ? `: ${c.said}` : ''}), although it was verified before: it was revoked ` +
        'or expired, or its user lost access to the organization.',
      hint: (c) => `${TOKEN_HELP}${REPLACE(c)}`,
    },
    invalid: {
      code: 'auth_invalid',
      field: 'token',
      message: (c) =>
        `Bugsnag rejected the token (401${c.said ? `: ${c.said}` : ''}): it is not a valid Personal Auth Token for ${c.host}.`,
      hint: () =>
        'Check that you copied the whole token, and that it was generated on the same Bugsnag as the API host (a token ' +
        `from app.bugsnag.smartbear.com does not work on api.bugsnag.com). ${TOKEN_HELP}`,
    },
    not_user_token: {
      code: 'auth_invalid',
      field: 'token',
      message: (c) =>
        `Bugsnag found no user behind this token (404${c.said ? `: ${c.said}` : ''}): it is not a Personal Auth Token.`,
      hint: () => `Organization-wide API keys cannot be used here. ${TOKEN_HELP}`,
    },
    forbidden: {
      code: 'forbidden',
      field: 'token',
      message: (c) =>
        `Bugsnag refused to list the token's organizations (${c.status ?? 403}${c.said ? `: ${c.said}` : ''}).`,
      hint: () =>
        "The Bugsnag account may be locked (lapsed payment, expired trial, or no seat for the token's user). Check it in the " +
        'Bugsnag dashboard, or use the token of another user.',
    },
    dns: {
      code: 'network',
      field: 'host',
      // The transport's reason already says "DNS"; only whether it was temporary adds anything.
      message: (c) =>
        `Host unreachable: the name of ${c.host} could not be resolved (${/temporary/.test(c.reason ?? '') ? 'the DNS lookup failed for now; try again' : 'DNS: no such host'}).`,
      hint: () => `Check the spelling of the API host, and your DNS or proxy settings. ${HOSTS_HINT}`,
    },
    unreachable: {
      code: 'network',
      field: 'host',
      message: (c) => `Host unreachable: could not connect to ${c.host}${c.reason ? ` (${c.reason})` : ''}.`,
      hint: () => `Check the API host, your network connection, proxy or firewall, and try again. ${HOSTS_HINT}`,
    },
    timeout: {
      code: 'network',
      field: 'host',
      message: (c) => `${c.host} did not answer in time${c.reason ? ` (${c.reason})` : ''}.`,
      hint: () => `Check the API host and your network, then try again. ${HOSTS_HINT}`,
    },
    tls: {
      code: 'tls',
      field: 'host',
      message: (c) => `Could not make a secure connection to ${c.host}${c.reason ? `: ${c.reason}` : ''}.`,
      hint: () =>
        'Check the host name. For an on-premise server with a private certificate authority, start snagsync with ' +
        'NODE_EXTRA_CA_CERTS=/path/to/ca.pem. Never disable certificate checks.',
    },
    not_bugsnag: {
      code: 'not_bugsnag',
      field: 'host',
      message: (c) => `${c.host} answered, but not like the Bugsnag Data Access API${c.got ? ` (${c.got})` : ''}.`,
      hint: () => `Check the API host: it is the API address, not the dashboard or web site. ${HOSTS_HINT}`,
    },
    rate_limited: {
      code: 'rate_limited',
      field: null,
      message: (c) =>
        `Rate limited: Bugsnag refused the check because the token's requests-per-minute budget is used up (429)` +
        `${c.retryAfterSeconds !== undefined ? `; try again in ${Math.max(1, Math.ceil(c.retryAfterSeconds))} s` : ''}.`,
      hint: (c) =>
        // The message already says when to try again when Bugsnag said it: saying it twice reads as a stutter.
        `${c.retryAfterSeconds !== undefined ? 'Another tool' : 'Try again in a minute; another tool'} ` +
        'or a running sync may be using the same token. The token itself was not judged.',
    },
    server_error: {
      code: 'server_error',
      field: null,
      message: (c) =>
        `Bugsnag answered with a server error${c.status ? ` (${c.status})` : ''} while checking the token.`,
      hint: () =>
        "This is on Bugsnag's side, not your token; try again in a few minutes (incidents are listed on status.bugsnag.com), " +
        'or save the credential unverified and test it later.',
    },
  },
} as const satisfies CredentialType<BugsnagFailure>;

/** What a Bugsnag credential form or command gives, normalised. */
export interface BugsnagCredentialInput {
  name: string;
  description: string | null;
  token: string;
  host: NormalizedHost;
}

export interface ParsedBugsnagInput<T> {
  input: T;
  /** What was changed, per field ("Removed the quotes around it…", "using its API host…"), to tell the user. */
  notes: Partial<Record<keyof BugsnagCredentialInput, string>>;
}

/** Validates a new credential's fields (all problems at once; see parseCredentialInput). */
export function parseBugsnagCreate(raw: unknown): ParsedBugsnagInput<BugsnagCredentialInput> {
  const { values, notes } = parseCredentialInput(bugsnagCredentialType, raw, 'create');
  return { input: values as unknown as BugsnagCredentialInput, notes };
}

/** Validates the fields of an update; absent fields are left as they are. */
export function parseBugsnagUpdate(raw: unknown): ParsedBugsnagInput<Partial<BugsnagCredentialInput>> {
  const { values, notes } = parseCredentialInput(bugsnagCredentialType, raw, 'update');
  return { input: values as Partial<BugsnagCredentialInput>, notes };
}

/** The zod schema for a create or update body (API validation), generated from the fields. */
export function bugsnagInputSchema(mode: InputMode) {
  return inputSchema(bugsnagCredentialType, mode);
}
