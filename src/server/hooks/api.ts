import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_MAX_ATTEMPTS } from '../../engine/webhooks/inbox.js';
import { ensureWebhook, rotateWebhook, type WebhookSecret } from '../../engine/webhooks/secret.js';
import { errorAnswers, named } from '../openapi.js';
import type { ServerDeps } from '../types.js';
import { webhookPath } from './route.js';

/**
 * `/api/data_sources/{id}/webhook`: the source's Bugsnag webhook — the path to give Bugsnag (created with its secret
 * on first read), whether it is on, and what the inbox says about it (last received, received, failed); `rotate`
 * replaces the secret (the old URL answers 404 at once); `enable` and `disable` switch it.
 */

export const WebhookSchema = named(
  'DataSourceWebhook',
  z.object({
    path: z.string().meta({
      description:
        'Where Bugsnag posts, on this server: POST {server URL}{path}. The last part is the secret: keep it like a password.',
    }),
    enabled: z.boolean().meta({ description: "Whether this source's webhook accepts messages." }),
    receiving: z.boolean().meta({
      description: 'Whether this server receives webhooks at all (off when started with webhooks switched off).',
    }),
    rotated_at: z.string().meta({ description: 'When the secret was made.' }),
    last_received_at: z.string().nullable().meta({ description: 'The newest message still in the inbox.' }),
    received: z.number().int().meta({ description: 'Messages in the inbox (applied ones are kept 7 days).' }),
    failed: z.number().int().meta({ description: 'Messages that failed to apply and are not applied yet.' }),
    pending: z.number().int().meta({ description: 'Messages waiting to be applied.' }),
  }),
);

const TAG = ['Sources'];
const params = z.object({ id: z.string().meta({ description: 'The source id (src_…) or its name.' }) });

export async function webhookView(deps: ServerDeps, w: WebhookSecret): Promise<z.infer<typeof WebhookSchema>> {
  const counts = await deps.runtime.store.webhooks.counts(
    w.settings.source_id,
    deps.webhooks.inbox?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
  );
  return {
    path: webhookPath(w.settings.source_id, w.secret),
    enabled: w.settings.enabled,
    receiving: deps.webhooks.enabled,
    rotated_at: w.settings.rotated_at,
    ...counts,
  };
}

export const dataSourceWebhookApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const deps = () => app.snag;
  const sourceOf = (ref: string) => app.snag.runtime.store.sources.findByNameOrId(ref);

  app.get(
    '/api/data_sources/:id/webhook',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataSourceWebhook',
        summary: "The source's Bugsnag webhook: its path (made with a new secret on first read), switch and counts",
        params,
        response: { 200: WebhookSchema.describe('The webhook.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => {
      const s = await sourceOf(request.params.id);
      return webhookView(deps(), await ensureWebhook(deps().runtime, s.id));
    },
  );

  app.post(
    '/api/data_sources/:id/webhook/rotate',
    {
      schema: {
        tags: TAG,
        operationId: 'rotateDataSourceWebhook',
        summary: 'Replace the webhook secret: the old URL stops working at once; give Bugsnag the new path',
        params,
        response: { 200: WebhookSchema.describe('The webhook with its new path.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => {
      const s = await sourceOf(request.params.id);
      return webhookView(deps(), await rotateWebhook(deps().runtime, s.id));
    },
  );

  for (const action of ['enable', 'disable'] as const) {
    app.put(
      `/api/data_sources/:id/webhook/${action}`,
      {
        schema: {
          tags: TAG,
          operationId: `${action}DataSourceWebhook`,
          summary:
            action === 'enable'
              ? "Accept the source's webhook messages"
              : "Refuse the source's webhook messages (answered 404, as a wrong URL)",
          params,
          response: { 200: WebhookSchema.describe('The webhook.'), ...errorAnswers(401, 404) },
        },
      },
      async (request) => {
        const s = await sourceOf(request.params.id);
        await ensureWebhook(deps().runtime, s.id);
        await deps().runtime.store.webhooks.setEnabled(s.id, action === 'enable');
        return webhookView(deps(), await ensureWebhook(deps().runtime, s.id));
      },
    );
  }
};
