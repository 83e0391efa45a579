import type { ApiContext, ListOptions } from '../context.js';
import { SupportedIntegration } from '../models/integration.js';
import type { Paginator } from '../paginator.js';

export interface IntegrationsResource {
  /** `GET /integrations`: every integration type Bugsnag supports (global, not per organization). */
  supported(options?: Omit<ListOptions, 'perPage'>): Paginator<SupportedIntegration>;
}

export function integrationsResource(api: ApiContext): IntegrationsResource {
  return { supported: (o = {}) => api.paginate('/integrations', [], SupportedIntegration, o) };
}
