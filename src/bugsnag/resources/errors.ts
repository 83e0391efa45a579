import { SnagError } from '../../core/errors.js';
import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { filterPairs, type Filters } from '../filters.js';
import { BulkErrorUpdateResult, ErrorGroup } from '../models/error.js';
import { ErrorUpdateSchema, type ErrorUpdate } from '../models/error-update.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { absoluteTime, windowFilters, type WindowOptions } from '../params.js';
import { queryPairs, seg } from '../query.js';

export interface ErrorListOptions extends ListOptions, WindowOptions {
  /** Only events before this time count; Bugsnag sets it to "now" and carries it in every next link. */
  base?: string | Date;
  /** `unsorted` avoids the ~1000-row limit on sorted lists (422 / 60000), with shorter pages. */
  sort?: 'last_seen' | 'first_seen' | 'users' | 'events' | 'unsorted';
  direction?: 'asc' | 'desc';
  /** Adds a `trend` array to each row. */
  histogram?: 'dynamic' | 'two_week';
}

export interface ErrorsResource {
  /** `GET /projects/{p}/errors`. */
  list(projectId: string, options?: ErrorListOptions): Paginator<ErrorGroup>;
  get(projectId: string, errorId: string, options?: CallOptions & { filters?: Filters }): Promise<ErrorGroup>;
  /**
   * `PATCH /projects/{p}/errors/{e}` with one operation. Returns the updated error, or null when Bugsnag answers 204
   * (delete, discard). Never retried automatically.
   */
  update(projectId: string, errorId: string, update: ErrorUpdate, options?: CallOptions): Promise<ErrorGroup | null>;
  /** `PATCH /projects/{p}/errors?error_ids[]=…`: one operation on several errors. Never retried automatically. */
  bulkUpdate(
    projectId: string,
    errorIds: readonly string[],
    update: ErrorUpdate,
    options?: CallOptions,
  ): Promise<BulkErrorUpdateResult | null>;
}

export function errorsResource(api: ApiContext): ErrorsResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/errors`,
        [
          ...queryPairs({
            base: absoluteTime(o.base, 'base'),
            sort: o.sort,
            direction: o.direction,
            per_page: pageSize('errors', o.perPage),
            histogram: o.histogram,
          }),
          ...windowFilters(o, api.now()),
        ],
        ErrorGroup,
        o,
      ),
    get: async (projectId, errorId, o = {}) =>
      api.get(
        `/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}`,
        filterPairs(o.filters, api.now()),
        ErrorGroup,
        o,
      ),
    update: async (projectId, errorId, update, o) =>
      api.write(
        'PATCH',
        `/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}`,
        [],
        validUpdate(update),
        ErrorGroup,
        o,
      ),
    bulkUpdate: async (projectId, errorIds, update, o) => {
      if (errorIds.length === 0) {
        throw new SnagError('config', 'A bulk error update needs at least one error id.', {
          hint: 'Give the ids of the errors to change.',
        });
      }
      for (const id of errorIds) seg('error id', id);
      return api.write(
        'PATCH',
        `/projects/${seg('project id', projectId)}/errors`,
        queryPairs({ error_ids: errorIds }),
        validUpdate(update),
        BulkErrorUpdateResult,
        o,
      );
    },
  };
}

function validUpdate(update: ErrorUpdate): ErrorUpdate {
  const r = ErrorUpdateSchema.safeParse(update);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw new SnagError(
    'config',
    `Invalid error update: ${first ? `${first.path.join('.') || 'operation'}: ${first.message}` : 'malformed'}.`,
    {
      hint:
        'Operations: override_severity (+severity), assign (+assigned_collaborator_id or assigned_team_id), ' +
        'create_issue, link_issue (+issue_url), unlink_issue, open, snooze (+reopen_rules), fix, ignore, delete, ' +
        'discard, undiscard.',
    },
  );
}
