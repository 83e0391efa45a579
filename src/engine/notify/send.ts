import { redact } from '../../core/redact.js';
import { sleep } from '../../core/sleep.js';
import { nodeTransport } from '../../http/node-transport.js';
import type { NotificationFormat } from '../../store/notifications.js';

/**
 * The messages and their delivery. Slack incoming webhooks take `{"text": …}` (mrkdwn, links as `<url|label>`).
 * Microsoft Teams takes what a Workflows "When a Teams webhook request is received" flow (and the older Office 365
 * connector URLs) accept today: a `message` whose attachment is an Adaptive Card (1.4). A delivery tries up to three
 * times, each attempt bounded by a timeout, on a network error, 408, 429 or 5xx; another 4xx is final (a removed
 * webhook answers 404 or 410).
 */

export interface RunNotice {
  kind: 'failure' | 'recovery';
  source_name: string;
  run_id: string;
  status: string;
  trigger: string;
  finished_at: string;
  /** The run's error message and hint (failures). */
  error: string | null;
  /** The run's page, when the server's public URL is known. */
  run_url: string | null;
}

export function noticeTitle(n: RunNotice): string {
  return n.kind === 'failure'
    ? `snagsync: source "${n.source_name}" ${n.status === 'partial' ? 'partly failed' : 'failed'}`
    : `snagsync: source "${n.source_name}" recovered`;
}

function noticeLines(n: RunNotice): string[] {
  return [
    n.kind === 'failure'
      ? `Run ${n.run_id} (${n.trigger}) ended ${n.status} at ${n.finished_at}.`
      : `Run ${n.run_id} (${n.trigger}) succeeded at ${n.finished_at}, after a failed run.`,
    ...(n.error ? [`Error: ${n.error}`] : []),
  ];
}

/** The request body for `format`; every text passed through redact (a registered token never leaves). */
export function noticePayload(format: NotificationFormat, n: RunNotice): unknown {
  const title = redact(noticeTitle(n));
  const lines = noticeLines(n).map(redact);
  if (format === 'slack') {
    const link = n.run_url ? `\n<${n.run_url}|Open run ${n.run_id}>` : '';
    return { text: `*${title}*\n${lines.join('\n')}${link}` };
  }
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            {
              type: 'TextBlock',
              text: title,
              weight: 'Bolder',
              size: 'Medium',
              wrap: true,
              color: n.kind === 'failure' ? 'Attention' : 'Good',
            },
            ...lines.map((text) => ({ type: 'TextBlock', text, wrap: true })),
          ],
          ...(n.run_url ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the run', url: n.run_url }] } : {}),
        },
      },
    ],
  };
}

export interface DeliveryOptions {
  timeoutMs?: number;
  attempts?: number;
  /** The first retry's wait; doubled after. */
  retryBaseMs?: number;
}

const transport = nodeTransport();

/**
 * Posts `body` to `url`; resolves to the outcome in words (never rejects, never names the URL — only its host).
 */
export async function deliver(url: string, body: unknown, options: DeliveryOptions = {}): Promise<string> {
  const attempts = options.attempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5000;
  const base = options.retryBaseMs ?? 500;
  const host = safeHost(url);
  let last = '';
  for (let i = 0; i < attempts; i++) {
    if (i > 0) await sleep(base * 2 ** (i - 1));
    try {
      // The client's transport: the address guard checks the very addresses it connects to, redirects not followed.
      const res = await transport({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', 'user-agent': 'snagsync-notify' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (res.status >= 200 && res.status < 300) return `sent (HTTP ${res.status})`;
      last = `${host} answered HTTP ${res.status}`;
      if (res.status < 500 && res.status !== 408 && res.status !== 429)
        return `not sent: ${last}${res.status === 404 || res.status === 410 ? ' — the webhook may have been removed; enter a new URL' : ''}`;
    } catch (err) {
      const e = err as Error;
      last =
        e.name === 'TimeoutError'
          ? `${host} did not answer within ${timeoutMs} ms`
          : `${host} could not be reached (${redact(e.message).replace(url, host)})`;
    }
  }
  return `not sent after ${attempts} attempts: ${last}`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the notification URL';
  }
}
