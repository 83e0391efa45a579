import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { BugsnagClient } from '../../bugsnag/client.js';
import { isSnagError } from '../../core/errors.js';
import { passedTestJson, type CredentialView } from '../../credentials/view.js';
import { apiErrorBody, httpStatusOf } from '../errors.js';
import { interactiveClientOptions } from '../interactive.js';
import { ERRORS, errorAnswers } from '../openapi.js';
import { credentialUsers, liveWorkOf, stopLiveWork } from '../runs/credential-work.js';
import {
  credentialRequest,
  DataCredentialCreate,
  DataCredentialRemoved,
  DataCredentialSchema,
  DataCredentialUpdate,
  LiveRunRef,
  ProbeFailure,
  ProbeLast,
  ProbeResult,
  probeLastJson,
  ProbeSample,
  registerBodySecret,
  toDataCredential,
  type DataCredential,
} from './credential-resource.js';

/**
 * `/api/data_credentials`: create, list, get, update, delete; `POST /probe` re-verifies a credential (recorded, as
 * `snagsync credentials test`; a POST so that a browser session needs its CSRF token), `GET /probe` only reads the
 * last recorded outcome (no call to Bugsnag); `/probe/sample` reads a few records with it (organizations and their first
 * projects). Every failure is a JSON error with the CLI's message and hint (see errors.ts for the statuses).
 */

const TAG = ['Credentials'];
const params = z.object({ id: z.string().meta({ description: 'The credential id (cred_…) or its name.' }) });

/** Kept small: a sample is for a person to see that the token reads what they expect, not an export. */
const SAMPLE_ORGANIZATIONS = 3;
const SAMPLE_PROJECTS = 5;

export const credentialsApi: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const service = () => app.snag.credentials;
  // A token in a body is a secret before anything (validation, logging) can see it.
  app.addHook('preValidation', async (request) => registerBodySecret(request.body));

  async function resource(v: CredentialView): Promise<DataCredential> {
    const sources = await app.snag.runtime.store.sources.list({ credentialId: v.id });
    return toDataCredential(
      v,
      sources.map((s) => ({ id: s.id, name: s.name, status: s.status })),
    );
  }

  app.get(
    '/api/data_credentials',
    {
      schema: {
        tags: TAG,
        operationId: 'listDataCredentials',
        summary: 'List credentials',
        response: {
          200: z.array(DataCredentialSchema).describe('Every credential (never a token).'),
          ...errorAnswers(401),
        },
      },
    },
    async () => Promise.all((await service().listCredentials()).map(resource)),
  );

  app.post(
    '/api/data_credentials',
    {
      attachValidation: true,
      schema: {
        tags: TAG,
        operationId: 'createDataCredential',
        summary: 'Create a credential (verified first)',
        body: DataCredentialCreate,
        response: {
          201: DataCredentialSchema.describe('Saved.'),
          ...errorAnswers(400, 401, 409, 413, 415, 422, 429, 502),
        },
      },
    },
    async (request, reply) => {
      const { input, verify } = credentialRequest(request);
      const r = await service().createCredential(input, { verify });
      return reply
        .code(201)
        .header('location', `/api/data_credentials/${r.credential.id}`)
        .send({ ...(await resource(r.credential)), notes: r.notes });
    },
  );

  app.get(
    '/api/data_credentials/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataCredential',
        summary: 'Get a credential',
        params,
        response: { 200: DataCredentialSchema.describe('The credential.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => resource(await service().getCredential(request.params.id)),
  );

  app.put(
    '/api/data_credentials/:id',
    {
      attachValidation: true,
      schema: {
        tags: TAG,
        operationId: 'updateDataCredential',
        summary: 'Change name, description, host or token',
        params,
        body: DataCredentialUpdate,
        response: {
          200: DataCredentialSchema.describe('Updated.'),
          ...errorAnswers(400, 401, 404, 409, 422, 429, 502),
        },
      },
    },
    async (request) => {
      const { input, verify } = credentialRequest(request);
      const r = await service().updateCredential(request.params.id, input, { verify });
      return { ...(await resource(r.credential)), notes: r.notes, changed: r.changed };
    },
  );

  app.delete(
    '/api/data_credentials/:id',
    {
      schema: {
        tags: TAG,
        operationId: 'deleteDataCredential',
        summary:
          'Delete a credential (refused while sources use it, unless force); its syncs and write-back applies in progress are stopped',
        params,
        querystring: z.object({
          force: z.enum(['true', 'false', '1', '0']).optional().meta({
            description: 'true: delete anyway, disable the sources that use it and cancel their runs in progress.',
          }),
        }),
        response: {
          200: DataCredentialRemoved.describe('Deleted; what was in progress with it is stopped and listed.'),
          ...errorAnswers(401, 404),
          409: ERRORS[409]
            .extend({
              sources: z.array(z.object({ id: z.string(), name: z.string(), status: z.string() })),
              runs_in_progress: z.array(LiveRunRef).meta({
                description: 'Runs of those sources in progress: deleting with force cancels them.',
              }),
            })
            .describe('Sources use it: they are listed in `sources`.'),
        },
      },
    },
    async (request, reply) => {
      const force = request.query.force === 'true' || request.query.force === '1';
      const c = await service().getCredential(request.params.id);
      // Read before the delete: the store then forgets which sources and destinations used it.
      const users = await credentialUsers(app.snag, c.id);
      try {
        const r = await service().removeCredential(c.id, { force });
        const stopped = await stopLiveWork(app.snag, users, `Its credential "${c.name}" was deleted.`);
        return { removed: toDataCredential(r.removed, []), disabled_sources: r.disabled_sources, ...stopped };
      } catch (err) {
        if (!isSnagError(err) || err.code !== 'conflict') throw err;
        // Name the sources and their runs in progress in the answer, so the caller can decide whether to force.
        const sources = await app.snag.runtime.store.sources.list({ credentialId: c.id });
        const live = await liveWorkOf(app.snag, users);
        return reply.code(409).send({
          ...apiErrorBody(err, 409),
          hint: 'Give the sources another credential first, or delete with ?force=true, which disables them and cancels their runs in progress.',
          sources: sources.map((s) => ({ id: s.id, name: s.name, status: s.status })),
          runs_in_progress: [...live.runs, ...live.elsewhere.map(({ pid: _p, hostname: _h, ...r }) => r)],
        });
      }
    },
  );

  const probe = async (id: string, reply: FastifyReply) => {
    const r = await service().testCredential(id);
    const credential = await resource(r.credential);
    if (r.ok) return reply.send(passedTestJson(r.verification, credential));
    const status = httpStatusOf(r.error);
    if (status === 429 && typeof r.error.details.retryAfterSeconds === 'number') {
      reply.header('retry-after', String(Math.max(1, Math.ceil(r.error.details.retryAfterSeconds))));
    }
    return reply
      .code(status)
      .send({ ok: false, ...apiErrorBody(r.error, status), verified_status: r.credential.verified_status, credential });
  };
  app.get(
    '/api/data_credentials/:id/probe',
    {
      schema: {
        tags: TAG,
        operationId: 'getDataCredentialProbe',
        summary: 'The outcome of the last check (recorded; Bugsnag is not called: POST checks again)',
        params,
        response: { 200: ProbeLast.describe('Status, when, why it failed.'), ...errorAnswers(401, 404) },
      },
    },
    async (request) => {
      const c = await service().getCredential(request.params.id);
      return probeLastJson(await resource(c));
    },
  );
  app.post(
    '/api/data_credentials/:id/probe',
    {
      schema: {
        tags: TAG,
        operationId: 'probeDataCredential',
        summary: 'Check the credential with Bugsnag again (the outcome is recorded on the credential)',
        params,
        response: {
          200: ProbeResult.describe('VERIFIED: organizations, latency, rate limit.'),
          ...errorAnswers(401, 404),
          422: ProbeFailure.describe('The token or host failed (now FAILED), with the field and what to do.'),
          429: ProbeFailure.describe('Rate limited: the status is left as it was.'),
          502: ProbeFailure.describe('Bugsnag server error or unreachable: the status is left as it was.'),
        },
      },
    },
    async (request, reply) => probe(request.params.id, reply),
  );

  const sampleSchema = {
    tags: TAG,
    operationId: 'sampleDataCredential',
    summary: 'Read a few records with the credential: organizations and their first projects',
    params,
    response: {
      200: ProbeSample.describe('A small sample.'),
      ...errorAnswers(401, 404, 422, 429, 502),
    },
  };
  app.post('/api/data_credentials/:id/probe/sample', { schema: sampleSchema }, async (request) => {
    const c = await service().getCredential(request.params.id);
    const started = performance.now();
    const client = await service().clientFor(c.id, {
      logger: app.snag.logger,
      ...interactiveClientOptions(app.snag.runtime.env),
    });
    // A 401 is named as the probe names it (auth_revoked for a token that worked before), not the client's raw code.
    const { orgs, projects } = await readSample(client).catch(async (err: unknown) => {
      throw await service().explainTokenRefusal(c.id, err);
    });
    return {
      credential_id: c.id,
      latency_ms: Math.round(performance.now() - started),
      organizations: orgs.map((o) => ({
        id: o.id,
        name: o.name ?? null,
        slug: o.slug ?? null,
        created_at: o.created_at ?? null,
      })),
      projects,
    };
  });
};

async function readSample(client: BugsnagClient) {
  const orgs = await client.organizations.list({ perPage: SAMPLE_ORGANIZATIONS }).all(SAMPLE_ORGANIZATIONS);
  const projects = [];
  for (const o of orgs) {
    const page = await client.projects.list(o.id, { perPage: SAMPLE_PROJECTS }).all(SAMPLE_PROJECTS);
    for (const p of page) {
      projects.push({
        id: p.id,
        organization_id: o.id,
        name: p.name ?? null,
        slug: p.slug ?? null,
        type: p.type ?? null,
        open_error_count: p.open_error_count ?? null,
        created_at: p.created_at ?? null,
      });
    }
  }
  return { orgs, projects };
}
