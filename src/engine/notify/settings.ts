import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { toIso } from '../../core/time.js';
import { loadKeyring } from '../../credentials/keyfile.js';
import { openEnvelope, parseEnvelope, sealEnvelope } from '../../credentials/vault-envelope.js';
import { forbiddenHostReason } from '../../http/address-guard.js';
import type { Runtime } from '../../runtime.js';
import { SERVER_SCOPE, type NotificationFormat, type NotificationSettings } from '../../store/notifications.js';
import { configError } from '../config.js';
import { sealingKey } from '../webhooks/secret.js';

/**
 * Failure notifications, the settings side: a source's (or the server's, scope `*`) outbound webhook URL, checked,
 * sealed by the vault like a token and shown only as a hint. Sending is notify/send.ts; deciding when, notify/run.ts.
 */

export const NOTIFY_FORMATS: readonly NotificationFormat[] = ['slack', 'teams'];
const URL_MAX = 2048;

export interface NotificationInput {
  url: string;
  /** Default: guessed from the host (a Teams/Power Automate host → teams), else slack. */
  format?: NotificationFormat | undefined;
  /** Also tell when a source succeeds again after a failure (default true). */
  on_recovery?: boolean | undefined;
}

/** What the API and the pages show: never the URL itself. */
export interface NotificationView {
  scope: 'source' | 'server';
  format: NotificationFormat;
  url_hint: string;
  on_recovery: boolean;
  created_at: string;
  updated_at: string;
  last_sent_at: string | null;
  last_outcome: string | null;
}

export function notificationView(s: NotificationSettings): NotificationView {
  return {
    scope: s.scope === SERVER_SCOPE ? 'server' : 'source',
    format: s.format,
    url_hint: s.url_hint,
    on_recovery: s.on_recovery,
    created_at: s.created_at,
    updated_at: s.updated_at,
    last_sent_at: s.last_sent_at,
    last_outcome: s.last_outcome,
  };
}

/** The id the sealed URL is bound to: `ntf_server`, or `ntf_` and the source id's own part. */
const binding = (scope: string) => (scope === SERVER_SCOPE ? 'ntf_server' : `ntf_${scope.replace(/^src_/, '')}`);

/** Checks the URL (https, or http on loopback; not a link-local or metadata address) and returns it parsed. */
export function checkNotificationUrl(raw: string): URL {
  const text = raw.trim();
  if (text === '') throw configError('url', 'The notification URL is empty.', 'Paste the incoming webhook URL.');
  if (text.length > URL_MAX)
    throw configError('url', `The notification URL is ${text.length} characters long; ${URL_MAX} at most.`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(
      'url',
      'The notification URL is not a URL.',
      'Paste the whole incoming webhook URL, starting with https://.',
    );
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw configError(
      'url',
      `The notification URL uses ${url.protocol.replace(':', '')}: its secret path would cross the network in clear.`,
      'Use the https:// URL Slack or Teams gives (plain http is accepted only on this machine, 127.0.0.1).',
    );
  if (url.username || url.password)
    throw configError('url', 'The notification URL holds a user name or password.', 'Give the webhook URL alone.');
  const reason = forbiddenHostReason(host);
  if (reason)
    throw configError(
      'url',
      `The notification URL points at ${reason}, which snagsync never calls.`,
      'Give the Slack or Teams incoming webhook URL.',
    );
  return url;
}

/** `https://hooks.slack.com/…/ab12`. */
export function urlHint(url: URL): string {
  const tail = url.href.replace(/\/+$/, '').slice(-4);
  return `${url.protocol}//${url.host}/…${tail}`;
}

function guessFormat(url: URL): NotificationFormat {
  return /(^|\.)(office\.com|office365\.com|logic\.azure\.com|powerplatform\.com|powerautomate\.com)$/i.test(
    url.hostname,
  )
    ? 'teams'
    : 'slack';
}

/** Saves (or replaces) the notification of `scope` (a source id or SERVER_SCOPE). */
export async function setNotification(
  runtime: Runtime,
  scope: string,
  input: NotificationInput,
): Promise<NotificationView> {
  const url = checkNotificationUrl(input.url);
  if (input.format !== undefined && !NOTIFY_FORMATS.includes(input.format))
    throw configError('format', `"${String(input.format)}" is not a notification format.`, 'Use slack or teams.');
  const href = url.href;
  registerSecret(href);
  const key = await sealingKey(runtime);
  const before = await runtime.store.notifications.get(scope);
  const now = toIso(Date.now());
  const saved = await runtime.store.notifications.save({
    scope,
    format: input.format ?? before?.format ?? guessFormat(url),
    url_envelope: sealEnvelope(key, binding(scope), href),
    url_key_id: key.id,
    url_hint: urlHint(url),
    on_recovery: input.on_recovery ?? before?.on_recovery ?? true,
    created_at: before?.created_at ?? now,
    updated_at: now,
  });
  return notificationView(saved);
}

export async function removeNotification(runtime: Runtime, scope: string): Promise<boolean> {
  return runtime.store.notifications.remove(scope);
}

/** Opens the sealed URL (registered as a secret first thing, so no log or error can show it). */
export function openNotificationUrl(runtime: Runtime, s: NotificationSettings): string {
  try {
    const envelope = parseEnvelope(s.url_envelope, binding(s.scope));
    if (envelope.credentialId !== binding(s.scope)) throw new Error('bound to another scope');
    const key = loadKeyring(runtime.home, runtime.env).all.find((k) => k.id === envelope.keyId);
    if (!key) throw new Error(`no master key ${envelope.keyId}`);
    const url = openEnvelope(key, envelope, binding(s.scope));
    registerSecret(url);
    return url;
  } catch (err) {
    throw new SnagError(
      'vault',
      `The notification URL (${s.url_hint}) cannot be opened: it was sealed with master key ${s.url_key_id}, which this process does not have, or it is damaged.`,
      { hint: 'Enter the notification URL again.', cause: err },
    );
  }
}
