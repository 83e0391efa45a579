import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOTIFY_FORMATS, notificationView, removeNotification, setNotification } from '../../engine/notify/settings.js';
import { SERVER_SCOPE } from '../../store/notifications.js';
import { errorAnswers, named } from '../openapi.js';

/**
 * Failure notifications over the API: `/api/data_sources/{id}/notification` (one source) and `/api/notification`
 * (every source of this server). PUT takes the incoming webhook URL (Slack or Microsoft Teams), which is sealed and
 * never shown again: answers carry only `url_hint`.
 */

export const NotificationSchema = named(
  'Notification',
  z.object({
    scope: z.enum(['source', 'server']).meta({ description: 'One source, or every source of this server.' }),
    format: z.enum(NOTIFY_FORMATS as ['slack', 'teams']).meta({
      description: 'slack: {"text": …}; teams: a message with an Adaptive Card (Workflows webhooks).',
    }),
    url_hint: z.string().meta({ description: 'Scheme, host and the last four characters of the URL.' }),
    on_recovery: z.boolean().meta({ description: 'Also tell when a run succeeds after a failed one.' }),
    created_at: z.string(),
    updated_at: z.string(),
    last_sent_at: z.string().nullable().meta({ description: 'The last delivery attempt.' }),
    last_outcome: z
      .string()
      .nullable()
      .meta({ description: 'What the last delivery did: "sent (HTTP 200)" or why it was not sent.' }),
  }),
);

const NotificationInput = z
  .object({
    url: z
      .string()
      .max(2048)
      .meta({
        description: 'The incoming webhook URL (https; http only on 127.0.0.1). Write-only: never shown again.',
        examples: ['https://hooks.slack.com/services/T000/B000/XXXX'],
      }),
    format: z
      .enum(NOTIFY_FORMATS as ['slack', 'teams'])
      .optional()
      .meta({ description: 'Default: teams for a Microsoft host (logic.azure.com, office.com…), else slack.' }),
    on_recovery: z.boolean().optional().meta({ description: 'Default true.' }),
  })
  .strict();

const Holder = z.object({ notification: NotificationSchema.nullable() });
const TAG = ['Sources'];
const params = z.object({ id: z.string().meta({ description: 'The source id (src_…) or its name.' }) });

export const notificationsApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const runtime = () => app.snag.runtime;
  const scopeOf = async (id: string | undefined) =>
    id === undefined ? SERVER_SCOPE : (await runtime().store.sources.findByNameOrId(id)).id;

  for (const [path, who, op] of [
    ['/api/data_sources/:id/notification', "the source's", 'DataSourceNotification'],
    ['/api/notification', "the server's (every source)", 'ServerNotification'],
  ] as const) {
    const withParams = path.includes(':id') ? { params } : {};
    const idOf = (p: unknown) => (p as { id?: string } | undefined)?.id;
    app.get(
      path,
      {
        schema: {
          tags: TAG,
          operationId: `get${op}`,
          summary: `${who[0]!.toUpperCase()}${who.slice(1)} failure notification, or null`,
          ...withParams,
          response: { 200: Holder.describe('The notification (null when none is set).'), ...errorAnswers(401, 404) },
        },
      },
      async (request) => {
        const s = await runtime().store.notifications.get(await scopeOf(idOf(request.params)));
        return { notification: s ? notificationView(s) : null };
      },
    );
    app.put(
      path,
      {
        schema: {
          tags: TAG,
          operationId: `set${op}`,
          summary: `Set ${who} failure notification: a Slack or Teams incoming webhook called when a run fails or recovers`,
          ...withParams,
          body: NotificationInput,
          response: { 200: Holder.describe('Saved.'), ...errorAnswers(400, 401, 404) },
        },
      },
      async (request) => {
        const view = await setNotification(runtime(), await scopeOf(idOf(request.params)), request.body);
        return { notification: view };
      },
    );
    app.delete(
      path,
      {
        schema: {
          tags: TAG,
          operationId: `remove${op}`,
          summary: `Remove ${who} failure notification`,
          ...withParams,
          response: {
            200: z.object({ removed: z.boolean() }).describe('Removed (false: there was none).'),
            ...errorAnswers(401, 404),
          },
        },
      },
      async (request) => ({ removed: await removeNotification(runtime(), await scopeOf(idOf(request.params))) }),
    );
  }
};
