import { USER_AGENT } from '../core/version.js';

/**
 * The headers every Data Access API request carries (docs/bugsnag-api.md §3). The token goes here and nowhere else.
 * `X-Bugsnag-API: true` is what Bugsnag's own clients send; on-premise installations look for it.
 */
export function bugsnagHeaders(token: string, hasBody: boolean): Record<string, string> {
  const headers: Record<string, string> = {
    Authorization: `token ${token}`,
    'X-Version': '2',
    'X-Bugsnag-API': 'true',
    Accept: 'application/json',
    'User-Agent': USER_AGENT,
  };
  if (hasBody) headers['Content-Type'] = 'application/json';
  return headers;
}
