import type { ErrorCode } from '../core/errors.js';

/**
 * How an orchestrator should treat a failure (Airbyte's `failure_type`): the user must change the config (token,
 * host, access), a retry later may fix it (rate limit, server error, network), or something else broke.
 */
export type FailureType = 'config_error' | 'transient_error' | 'system_error';

const CONFIG: readonly ErrorCode[] = [
  'config',
  'usage',
  'auth_invalid',
  'auth_project_key',
  'auth_revoked',
  'forbidden',
  'plan_feature',
  'not_bugsnag',
  'tls',
];
const TRANSIENT: readonly ErrorCode[] = ['rate_limited', 'server_error', 'network', 'aborted'];

export function failureTypeOf(code: string): FailureType {
  if ((CONFIG as readonly string[]).includes(code)) return 'config_error';
  if ((TRANSIENT as readonly string[]).includes(code)) return 'transient_error';
  return 'system_error';
}
