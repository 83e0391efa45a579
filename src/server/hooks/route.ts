import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { registerSecret } from '../../core/redact.js';
import { toIso } from '../../core/time.js';
import { triggerOf } from '../../engine/webhooks/payload.js';
import { secretMatches, WEBHOOK_PREFIX } from '../../engine/webhooks/secret.js';

export { WEBHOOK_PREFIX, webhookPath } from '../../engine/webhooks/secret.js';
import { createHash } from 'node:crypto';
import { HttpProblem, toErrorResponse } from '../errors.js';
import { SourceBuckets } from './rate-limit.js';

/**
 * `POST /hooks/bugsnag/{source}/{secret}`: where Bugsnag's Webhook integration posts. Bugsnag cannot sign its
 * messages, so the secret in the path is the only proof: it is the one route without the server key and without CSRF
 * (nothing here acts on a session). So an unknown source, a source whose webhooks are off, a wrong secret and a
 * server started with webhooks off all get the very same 404; the body is limited (413); each source has a rate
 * limit (429 with Retry-After). The raw body is stored in the store's inbox before the 2xx answer and applied after
 * (engine/webhooks/inbox.ts). Its request lines are not logged: the URL holds the secret.
 */

/** Largest message accepted. Bugsnag's messages carry an error and a short stack trace: a few KiB. */
export const WEBHOOK_BODY_LIMIT = 512 * 1024;

/** The one answer for every URL that is not a live webhook: it says nothing about which part was wrong. */
function notHere(): HttpProblem {
  return new HttpProblem(404, 'not_found', 'Nothing here.');
}

const SOURCE_ID = /^src_[0-9a-z]{1,60}$/;
/** Compared against when the source has no secret, so an unknown source costs the same digest as a wrong secret. */
const NO_SECRET = createHash('sha256').update('no secret').digest('hex');

export async function registerWebhookRoute(
  root: FastifyInstance,
  options: { bodyLimit?: number; buckets?: SourceBuckets } = {},
): Promise<void> {
  const bodyLimit = options.bodyLimit ?? WEBHOOK_BODY_LIMIT;
  const buckets = options.buckets ?? new SourceBuckets();
  await root.register(async (app) => {
    // The body is kept as sent (stored, and hashed to recognise a redelivery), whatever its content type says.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_request, body, done) => done(null, body));
    // Answers are JSON whoever asks (the app's own handler would render a page for a browser-like request).
    app.setErrorHandler(async (err: FastifyError, request, reply) => {
      const problem =
        err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? new HttpProblem(
              413,
              'payload_too_large',
              `The message is larger than ${Math.round(bodyLimit / 1024)} KiB.`,
              undefined,
              'body',
            )
          : err;
      const { status, body, snag } = toErrorResponse(problem);
      if (status >= 500) request.log.error({ err: snag ?? err, status }, 'webhook not received');
      return reply.code(status).type('application/json; charset=utf-8').send(body);
    });
    app.post<{ Params: { source: string; secret: string } }>(
      `${WEBHOOK_PREFIX}/:source/:secret`,
      { bodyLimit, logLevel: 'warn', config: { public: true } },
      (request, reply) => receive(app, buckets, request, reply),
    );
  });
}

async function receive(
  app: FastifyInstance,
  buckets: SourceBuckets,
  request: FastifyRequest<{ Params: { source: string; secret: string } }>,
  reply: FastifyReply,
): Promise<FastifyReply> {
  const { webhooks } = app.snag;
  const { source, secret } = request.params;
  const { store } = app.snag.runtime;
  const settings = webhooks.enabled && SOURCE_ID.test(source) ? await store.webhooks.get(source) : null;
  const matches = secretMatches(secret, settings?.secret_sha256 ?? NO_SECRET);
  if (!settings || !matches || !settings.enabled) throw notHere();
  registerSecret(secret);
  const wait = buckets.take(source);
  if (wait > 0) {
    reply.header('retry-after', String(wait));
    throw new HttpProblem(429, 'rate_limited', 'Too many webhook messages for this source just now.');
  }
  const body = typeof request.body === 'string' ? request.body : '';
  if (body.trim() === '') throw new HttpProblem(400, 'invalid_request', 'The message is empty.', undefined, 'body');
  const receipt = await store.webhooks.receive({
    source_id: source,
    body,
    body_sha256: createHash('sha256').update(body, 'utf8').digest('hex'),
    trigger: triggerOf(body),
    received_at: toIso(app.snag.now()),
  });
  webhooks.inbox?.kick();
  return reply.code(202).send({ accepted: true, duplicate: receipt.duplicate });
}
