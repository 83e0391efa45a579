import { SnagError } from '../core/errors.js';

type Entity = 'credential' | 'source' | 'run';

const LIST_COMMAND: Record<Entity, string> = {
  credential: 'snagsync credentials list',
  source: 'snagsync sources list',
  run: 'snagsync runs list',
};

const LIST_ENDPOINT: Record<Entity, string> = {
  credential: 'GET /api/data_credentials',
  source: 'GET /api/data_sources',
  run: 'GET /api/runs',
};

export function notFound(entity: Entity, ref: string): SnagError {
  const by = entity === 'run' ? 'id' : 'name or id';
  return new SnagError('missing', `No ${entity} with the ${by} "${ref}".`, {
    hint: `Run \`${LIST_COMMAND[entity]}\` to see what exists.`,
    serverHint: `${LIST_ENDPOINT[entity]} lists what exists (and the ${entity === 'credential' ? 'Credentials' : entity === 'source' ? 'Sources' : 'Runs'} page of the web UI).`,
    details: { entity, ref },
  });
}

export function nameTaken(
  entity: 'credential' | 'source',
  name: string,
  existing: { id: string; name: string },
): SnagError {
  return new SnagError(
    'conflict',
    `A ${entity} named "${existing.name}" already exists (${existing.id}); names are unique regardless of case.`,
    {
      hint: `Choose another name, or change the existing one with \`snagsync ${entity}s update ${existing.id} --name …\`.`,
      serverHint: `Choose another name, or rename the existing ${entity} (${existing.id}) first.`,
      // `field`: the error belongs on the name input (the API's envelope names it; the web form marks that field).
      details: { field: 'name', entity, name, existing_id: existing.id },
    },
  );
}
