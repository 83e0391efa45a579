import { SnagError } from '../core/errors.js';

type Entity = 'credential' | 'source' | 'run' | 'destination' | 'write-back run';

const LIST_COMMAND: Record<Entity, string> = {
  credential: 'snagsync credentials list',
  source: 'snagsync sources list',
  run: 'snagsync runs list',
  // Destinations and their runs live in the HTTP API and the web UI only.
  destination: '',
  'write-back run': '',
};

const LIST_ENDPOINT: Record<Entity, string> = {
  credential: 'GET /api/data_credentials',
  source: 'GET /api/data_sources',
  run: 'GET /api/runs',
  destination: 'GET /api/data_sinks',
  'write-back run': 'GET /api/data_sinks/{id}/runs',
};

const PAGE: Record<Entity, string> = {
  credential: 'Credentials',
  source: 'Sources',
  run: 'Runs',
  destination: 'Destinations',
  'write-back run': 'Destinations',
};

export function notFound(entity: Entity, ref: string): SnagError {
  const by = entity === 'run' || entity === 'write-back run' ? 'id' : 'name or id';
  const serverHint = `${LIST_ENDPOINT[entity]} lists what exists (and the ${PAGE[entity]} page of the web UI).`;
  return new SnagError('missing', `No ${entity} with the ${by} "${ref}".`, {
    hint: LIST_COMMAND[entity] ? `Run \`${LIST_COMMAND[entity]}\` to see what exists.` : serverHint,
    serverHint,
    details: { entity, ref },
  });
}

export function nameTaken(
  entity: 'credential' | 'source' | 'destination',
  name: string,
  existing: { id: string; name: string },
): SnagError {
  return new SnagError(
    'conflict',
    `A ${entity} named "${existing.name}" already exists (${existing.id}); names are unique regardless of case.`,
    {
      hint:
        entity === 'destination'
          ? `Choose another name, or rename the existing ${entity} (${existing.id}) first.`
          : `Choose another name, or change the existing one with \`snagsync ${entity}s update ${existing.id} --name …\`.`,
      serverHint: `Choose another name, or rename the existing ${entity} (${existing.id}) first.`,
      // `field`: the error belongs on the name input (the API's envelope names it; the web form marks that field).
      details: { field: 'name', entity, name, existing_id: existing.id },
    },
  );
}

/** A credential still used by sources cannot be removed without `force`: the same refusal from every store. */
export function credentialInUse(credentialName: string, users: ReadonlyArray<{ id: string; name: string }>): SnagError {
  const names =
    users
      .slice(0, 5)
      .map((s) => `"${s.name}"`)
      .join(', ') + (users.length > 5 ? `, and ${users.length - 5} more` : '');
  return new SnagError(
    'conflict',
    `The credential "${credentialName}" is used by ${users.length} source${users.length === 1 ? '' : 's'}: ${names}.`,
    {
      hint: 'Remove those sources or give them another credential first, or use --force to remove it anyway and disable them.',
      serverHint:
        'Remove those sources or give them another credential first, or remove it anyway and disable them (DELETE with ?force=true).',
      details: { sources: users.map((s) => s.id) },
    },
  );
}

/** A source without a credential (it was removed) cannot be made active or paused until it gets one. */
export function sourceWithoutCredential(sourceName: string, status: string): SnagError {
  return new SnagError(
    'config',
    `The source "${sourceName}" has no credential (it was removed), so it cannot be ${status}.`,
    {
      hint: `Give it a credential first: snagsync sources update ${sourceName} --credential NAME.`,
      serverHint: 'Give it a credential first (data_credentials_id, or the credential picker on its page).',
    },
  );
}

/** One live run per source: the refusal of a second, naming the run, its process and its host. */
export function alreadySyncing(
  sourceName: string,
  other: { id: string; pid?: number | null; hostname?: string | null },
): SnagError {
  return new SnagError(
    'conflict',
    `The source "${sourceName}" is already being synced (run ${other.id}, pid ${other.pid ?? '?'} on ${other.hostname ?? '?'}).`,
    {
      hint: `Wait for that run to finish; \`snagsync runs show ${other.id}\` shows its progress.`,
      serverHint: `Wait for that run to finish; its page (or GET /api/runs/${other.id}) shows its progress.`,
      details: { run_id: other.id },
    },
  );
}

/** One live apply per destination: the refusal of a second, naming the run (SQLite and PostgreSQL alike). */
export function applying(name: string, runId: string): SnagError {
  return new SnagError('conflict', `The destination "${name}" is being applied right now (run ${runId}).`, {
    hint: 'Wait for that run to finish: two applies of the same destination never interleave.',
    details: { run_id: runId },
  });
}

/** What a write-back run left `running` by a process that is gone records as its error. */
export function staleApplyError(): Record<string, unknown> {
  return {
    error: 'aborted',
    message: 'The process applying this write-back stopped before it finished.',
    hint: 'Apply again: the journal makes a rerun send only what is missing.',
  };
}

/** The same input applied with the same credential by a live process: refused, so that the two never interleave. */
export function inputBeingApplied(journalId: string, pid: number | null, host: string | null): SnagError {
  return new SnagError(
    'conflict',
    `The same input is being applied with this credential right now (journal ${journalId}, pid ${pid ?? '?'} on ${host ?? '?'}).`,
    {
      hint: 'Wait for that apply to finish, then run again: the journal makes a rerun send only what is missing.',
      serverHint: 'Wait for that apply to finish, then apply again: only what is missing is sent.',
      details: { journal_id: journalId },
    },
  );
}
