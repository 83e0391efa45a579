import { z } from 'zod';

/**
 * A Bugsnag webhook message, validated leniently: what snagsync needs to route it (the project and the trigger type)
 * is required; everything else is optional and every unknown field is kept (looseObject), as the streams keep what the
 * Data Access API sends. Field names follow docs.bugsnag.com/product/integrations/webhook (docs/bugsnag-api.md,
 * Webhooks, says which of them the documentation confirms).
 */

const text = () => z.string().nullish().catch(undefined);
const flag = () => z.boolean().nullish().catch(undefined);
const anyId = () =>
  z
    .union([z.string(), z.number()])
    .nullish()
    .transform((v) => (v === null || v === undefined ? undefined : String(v)))
    .catch(undefined);

export const WebhookError = z.looseObject({
  id: anyId(),
  errorId: anyId(),
  exceptionClass: text(),
  errorClass: text(),
  message: text(),
  context: text(),
  severity: text(),
  status: text(),
  unhandled: flag(),
  firstReceived: text(),
  receivedAt: text(),
  url: text(),
  releaseStage: text(),
  eventId: anyId(),
  appVersion: text(),
  userId: anyId(),
  assignedUserId: anyId(),
});
export type WebhookError = z.infer<typeof WebhookError>;

export const WebhookEvent = z.looseObject({ id: anyId(), receivedAt: text(), received_at: text() });

export const WebhookPayload = z.looseObject({
  account: z.looseObject({ id: anyId(), name: text(), url: text() }).nullish().catch(undefined),
  project: z.looseObject({ id: z.union([z.string().min(1), z.number()]).transform(String), name: text(), url: text() }),
  trigger: z.looseObject({
    type: z.string().min(1),
    message: text(),
    stateChange: text(),
  }),
  error: WebhookError.nullish().catch(undefined),
  event: WebhookEvent.nullish().catch(undefined),
  release: z.looseObject({ id: anyId() }).nullish().catch(undefined),
  comment: z.looseObject({ id: anyId(), message: text() }).nullish().catch(undefined),
  user: z.looseObject({ id: anyId(), name: text(), email: text() }).nullish().catch(undefined),
});
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** Triggers that report an event of an error: they write the error row and, when the event is named, its event row. */
export const EVENT_TRIGGERS: ReadonlySet<string> = new Set([
  'exception',
  'firstException',
  'powerTen',
  'errorEventFrequency',
  'reopened',
]);

/** The trigger type a body names, read before any validation (for the inbox row); null when it names none. */
export function triggerOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { trigger?: { type?: unknown } } | null;
    const type = parsed?.trigger?.type;
    return typeof type === 'string' && type.length <= 100 ? type : null;
  } catch {
    return null;
  }
}
