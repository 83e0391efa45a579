import { toSnagError } from '../../core/errors.js';
import type { ServerDeps } from '../types.js';
import type { FieldProblem } from '../errors.js';
import { interactiveClientOptions } from '../interactive.js';

/**
 * The organizations and projects a credential reaches, for the wizard's choices, read from Bugsnag with the
 * credential. Kept a minute per credential: without JavaScript every step of the wizard renders the page again,
 * and each render must not cost a round of requests against the token's rate limit.
 */

export interface OrgChoice {
  id: string;
  name: string;
  projects: Array<{ id: string; name: string }>;
}

export interface ProjectChoices {
  organizations: OrgChoice[];
  /** Listing failed (the organizations known from the credential's last check are still offered). */
  error: FieldProblem | null;
}

const TTL_MS = 60_000;
/** Enough for the largest accounts people pick projects from by hand; more are synced with "All projects". */
const MAX_PROJECTS_PER_ORG = 500;

interface CacheEntry {
  at: number;
  key: string;
  value: ProjectChoices;
}

const caches = new WeakMap<ServerDeps, Map<string, CacheEntry>>();

export async function projectChoices(deps: ServerDeps, credentialId: string): Promise<ProjectChoices> {
  const credential = await deps.credentials.getCredential(credentialId);
  const cache = caches.get(deps) ?? new Map<string, CacheEntry>();
  caches.set(deps, cache);
  // A changed token or host (updated_at moves) invalidates what was listed with the old one.
  const key = `${credential.id}@${credential.updated_at}`;
  const hit = cache.get(credential.id);
  if (hit && hit.key === key && deps.now() - hit.at < TTL_MS) return hit.value;
  const known: OrgChoice[] = credential.organizations.map((o) => ({ id: o.id, name: o.name, projects: [] }));
  let value: ProjectChoices;
  try {
    // The wizard's page waits for this (interactive policy); a failure still lets the user sync all projects.
    const client = await deps.credentials.clientFor(credential.id, {
      logger: deps.logger,
      ...interactiveClientOptions(deps.runtime.env),
    });
    const orgs = known.length
      ? known
      : (await client.organizations.list().all(50)).map((o) => ({ id: o.id, name: o.name ?? o.id, projects: [] }));
    for (const o of orgs) {
      const projects = await client.projects.list(o.id).all(MAX_PROJECTS_PER_ORG);
      o.projects = projects
        .map((p) => ({ id: p.id, name: p.name ?? p.id }))
        .sort((a, b) => a.name.localeCompare(b.name));
    }
    value = { organizations: orgs, error: null };
  } catch (err) {
    const e = toSnagError(err);
    value = { organizations: known, error: e.hint ? { message: e.message, hint: e.hint } : { message: e.message } };
  }
  if (!value.error) cache.set(credential.id, { at: deps.now(), key, value });
  return value;
}
