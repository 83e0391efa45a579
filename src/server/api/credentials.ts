import type { FastifyInstance, FastifyReply } from 'fastify';
import { isSnagError } from '../../core/errors.js';
import { passedTestJson, type CredentialView } from '../../credentials/view.js';
import { apiErrorBody, httpStatusOf } from '../errors.js';
import { interactiveClientOptions } from '../interactive.js';
import { parseCredentialRequest, toDataCredential, type DataCredential } from './credential-resource.js';

/**
 * `/api/data_credentials`: create, list, get, update, delete; `/probe` re-verifies a credential (recorded, as
 * `snagsync credentials test`); `/probe/sample` reads a few records with it (organizations and their first
 * projects). Every failure is a JSON error with the CLI's message and hint (see errors.ts for the statuses).
 */

type IdParams = { Params: { id: string } };

/** Kept small: a sample is for a person to see that the token reads what they expect, not an export. */
const SAMPLE_ORGANIZATIONS = 3;
const SAMPLE_PROJECTS = 5;

export function registerCredentialsApi(app: FastifyInstance): void {
  const service = () => app.snag.credentials;

  async function resource(v: CredentialView): Promise<DataCredential> {
    const sources = await app.snag.runtime.store.sources.list({ credentialId: v.id });
    return toDataCredential(v, sources.map((s) => ({ id: s.id, name: s.name, status: s.status })));
  }

  app.get('/api/data_credentials', async () => {
    const views = await service().listCredentials();
    return Promise.all(views.map(resource));
  });

  app.post('/api/data_credentials', async (request, reply) => {
    const { input, verify } = parseCredentialRequest(request.body, 'create');
    const r = await service().createCredential(input, { verify });
    return reply.code(201).header('location', `/api/data_credentials/${r.credential.id}`).send({ ...(await resource(r.credential)), notes: r.notes });
  });

  app.get<IdParams>('/api/data_credentials/:id', async (request) => resource(await service().getCredential(request.params.id)));

  app.put<IdParams>('/api/data_credentials/:id', async (request) => {
    const { input, verify } = parseCredentialRequest(request.body, 'update');
    const r = await service().updateCredential(request.params.id, input, { verify });
    return { ...(await resource(r.credential)), notes: r.notes, changed: r.changed };
  });

  app.delete<IdParams & { Querystring: { force?: string } }>('/api/data_credentials/:id', async (request, reply) => {
    const force = request.query.force === 'true' || request.query.force === '1';
    try {
      const r = await service().removeCredential(request.params.id, { force });
      return { removed: toDataCredential(r.removed, []), disabled_sources: r.disabled_sources };
    } catch (err) {
      if (!isSnagError(err) || err.code !== 'conflict') throw err;
      // Name the sources in the answer, so the caller can decide whether to force.
      const c = await service().getCredential(request.params.id);
      const sources = await app.snag.runtime.store.sources.list({ credentialId: c.id });
      return reply.code(409).send({
        ...apiErrorBody(err, 409),
        hint: 'Give the sources another credential first, or delete with ?force=true, which disables them.',
        sources: sources.map((s) => ({ id: s.id, name: s.name, status: s.status })),
      });
    }
  });

  const probe = async (request: { params: { id: string } }, reply: FastifyReply) => {
    const r = await service().testCredential(request.params.id);
    const credential = await resource(r.credential);
    if (r.ok) return reply.send(passedTestJson(r.verification, credential));
    const status = httpStatusOf(r.error);
    if (status === 429 && typeof r.error.details.retryAfterSeconds === 'number') {
      reply.header('retry-after', String(Math.max(1, Math.ceil(r.error.details.retryAfterSeconds))));
    }
    return reply.code(status).send({ ok: false, ...apiErrorBody(r.error, status), verified_status: r.credential.verified_status, credential });
  };
  app.get<IdParams>('/api/data_credentials/:id/probe', async (request, reply) => probe(request, reply));
  app.post<IdParams>('/api/data_credentials/:id/probe', async (request, reply) => probe(request, reply));

  app.post<IdParams>('/api/data_credentials/:id/probe/sample', async (request) => {
    const c = await service().getCredential(request.params.id);
    const started = performance.now();
    const client = await service().clientFor(c.id, { logger: app.snag.logger, ...interactiveClientOptions(app.snag.runtime.env) });
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
    return {
      credential_id: c.id,
      latency_ms: Math.round(performance.now() - started),
      organizations: orgs.map((o) => ({ id: o.id, name: o.name ?? null, slug: o.slug ?? null, created_at: o.created_at ?? null })),
      projects,
    };
  });
}
