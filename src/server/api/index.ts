import type { FastifyInstance } from 'fastify';
import type { OpenApiModule } from '../openapi.js';
import { credentialsOpenApi } from './credentials-openapi.js';
import { registerCredentialsApi } from './credentials.js';
import { dataSourcesOpenApi } from './data-sources-openapi.js';
import { registerDataSourcesApi } from './data-sources.js';
import { runsOpenApi } from './runs-openapi.js';
import { registerRunsApi } from './runs.js';

/**
 * One entry per API resource: its routes and its OpenAPI paths, each from its own files. A new resource
 * (data_sources, runs) adds its pair of files and a line here; `/api/openapi.json` picks it up, and a test fails for
 * any `/api` route the document does not describe.
 */
export interface ApiModule {
  register(app: FastifyInstance): void;
  openapi: OpenApiModule;
}

export const API_MODULES: readonly ApiModule[] = [
  { register: registerCredentialsApi, openapi: credentialsOpenApi },
  { register: registerDataSourcesApi, openapi: dataSourcesOpenApi },
  { register: registerRunsApi, openapi: runsOpenApi },
];
