import type { ApiContext, CallOptions, ListOptions } from '../context.js';
import { Event } from '../models/event.js';
import { pageSize } from '../page-sizes.js';
import type { Paginator } from '../paginator.js';
import { absoluteTime, windowFilters, type WindowOptions } from '../params.js';
import { queryPairs, seg } from '../query.js';

export interface EventListOptions extends ListOptions, WindowOptions {
  /**
   * Full event payloads instead of summary rows. A query parameter (`full_reports=true`), never a header — Airbyte
   * sends it as a header and silently gets summaries (docs/bugsnag-api.md §6). Full rows are heavy.
   */
  fullReports?: boolean;
  base?: string | Date;
  direction?: 'asc' | 'desc';
}

export interface EventsResource {
  /** `GET /projects/{p}/events`, newest first by default; 30 per page at most. */
  list(projectId: string, options?: EventListOptions): Paginator<Event>;
  /** `GET /projects/{p}/errors/{e}/events`. */
  listForError(projectId: string, errorId: string, options?: EventListOptions): Paginator<Event>;
  get(projectId: string, eventId: string, options?: CallOptions): Promise<Event>;
  /** `GET /errors/{e}/latest_event` (no project in the path). */
  latest(errorId: string, options?: CallOptions): Promise<Event>;
}

function eventQuery(o: EventListOptions, now: Date) {
  return [
    ...queryPairs({
      base: absoluteTime(o.base, 'base'),
      direction: o.direction,
      per_page: pageSize('events', o.perPage),
      full_reports: o.fullReports ? 'true' : undefined,
    }),
    ...windowFilters(o, now),
  ];
}

export function eventsResource(api: ApiContext): EventsResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(`/projects/${seg('project id', projectId)}/events`, eventQuery(o, api.now()), Event, o),
    listForError: (projectId, errorId, o = {}) =>
      api.paginate(
        `/projects/${seg('project id', projectId)}/errors/${seg('error id', errorId)}/events`,
        eventQuery(o, api.now()),
        Event,
        o,
      ),
    get: async (projectId, eventId, o) =>
      api.get(`/projects/${seg('project id', projectId)}/events/${seg('event id', eventId)}`, [], Event, o),
    latest: async (errorId, o) => api.get(`/errors/${seg('error id', errorId)}/latest_event`, [], Event, o),
  };
}
