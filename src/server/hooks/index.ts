import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import { WebhookInbox, type WebhookInboxOptions } from '../../engine/webhooks/inbox.js';
import type { Runtime } from '../../runtime.js';
import { SourceBuckets, type WebhookRateLimit } from './rate-limit.js';
import { registerWebhookRoute } from './route.js';

export { WEBHOOK_BODY_LIMIT, WEBHOOK_PREFIX, webhookPath } from './route.js';

/**
 * Bugsnag webhooks in `serve`: the receiving route, and the inbox applied in this process (replayed at start, retried
 * and pruned while the server runs, stopped before it closes). Off (`snagsync serve --no-webhooks`, or
 * SNAGSYNC_WEBHOOKS=off), every webhook URL answers the same 404 as a wrong one and nothing is applied here.
 */

export const WEBHOOKS_ENV = 'SNAGSYNC_WEBHOOKS';

export interface WebhookServerOptions {
  /** Receive and apply webhooks (default: on unless SNAGSYNC_WEBHOOKS is off/false/0). */
  enabled?: boolean;
  bodyLimit?: number;
  rate?: WebhookRateLimit;
  inbox?: WebhookInboxOptions;
}

export interface WebhookDeps {
  enabled: boolean;
  /** Null when webhooks are off in this server. */
  inbox: WebhookInbox | null;
}

export function webhooksEnabled(option: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (option !== undefined) return option;
  return !/^(off|false|0|no)$/i.test(env[WEBHOOKS_ENV]?.trim() ?? '');
}

export function webhookDeps(runtime: Runtime, logger: Logger, options: WebhookServerOptions = {}): WebhookDeps {
  const enabled = webhooksEnabled(options.enabled, runtime.env);
  return { enabled, inbox: enabled ? new WebhookInbox(runtime, logger, options.inbox) : null };
}

export async function registerWebhooks(app: FastifyInstance, options: WebhookServerOptions = {}): Promise<void> {
  const { inbox } = app.snag.webhooks;
  if (inbox) {
    app.addHook('onReady', async () => inbox.start());
    app.addHook('preClose', async () => inbox.stop());
  }
  await registerWebhookRoute(app, {
    ...(options.bodyLimit !== undefined ? { bodyLimit: options.bodyLimit } : {}),
    buckets: new SourceBuckets(options.rate),
  });
}
