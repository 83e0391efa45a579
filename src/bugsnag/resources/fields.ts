import type { ApiContext, ListOptions } from '../context.js';
import { EventField, TraceField } from '../models/fields.js';
import type { Paginator } from '../paginator.js';
import { seg } from '../query.js';

export interface EventFieldsResource {
  /** `GET /projects/{p}/event_fields`: the filterable fields; `display_id` is the name to use in filters. */
  list(projectId: string, options?: Omit<ListOptions, 'perPage'>): Paginator<EventField>;
}

export interface TraceFieldsResource {
  /** `GET /projects/{p}/trace_fields`. */
  list(projectId: string, options?: Omit<ListOptions, 'perPage'>): Paginator<TraceField>;
}

// Both lists are documented as single pages; a Link header is still followed if Bugsnag ever sends one.
export function eventFieldsResource(api: ApiContext): EventFieldsResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(`/projects/${seg('project id', projectId)}/event_fields`, [], EventField, o),
  };
}

export function traceFieldsResource(api: ApiContext): TraceFieldsResource {
  return {
    list: (projectId, o = {}) =>
      api.paginate(`/projects/${seg('project id', projectId)}/trace_fields`, [], TraceField, o),
  };
}
