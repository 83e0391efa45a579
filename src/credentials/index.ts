// The credentials feature's public face (re-exported by src/index.ts; the vault is exported from vault.ts directly).
export {
  CredentialService,
  createCredentialService,
  type CredentialServiceOptions,
  type CredentialInput,
  type SaveOptions,
  type SaveResult,
  type UpdateResult,
  type ProbeResult,
  type RemoveResult,
  type RotateKeyOptions,
} from './service.js';
export {
  bugsnagCredentialType,
  bugsnagInputSchema,
  parseBugsnagCreate,
  parseBugsnagUpdate,
  type BugsnagFailure,
  type BugsnagCredentialInput,
  type ParsedBugsnagInput,
} from './bugsnag-type.js';
export {
  inputSchema as credentialInputSchema,
  parseCredentialInput,
  authHeaders as credentialAuthHeaders,
  type CredentialType,
  type CredentialField,
  type CredentialFieldName,
  type FieldOption,
  type FieldError,
  type FieldErrors,
  type AuthSpec,
  type VerifySpec,
  type FailureSpec,
  type FailureContext,
  type InputMode,
} from './credential-type.js';
export { normalizeToken, resolveHost as resolveApiHost, looksLikeProjectApiKey, TOKEN_HELP } from './input.js';
export { verifyBugsnagToken, type Verification, type VerifyOptions, type VerifyContext } from './verify.js';
export type { CredentialView, VerifyErrorView } from './view.js';
