/** The ready-made analytics views (issue 20): declared once (views.ts), rendered per database (dialect.ts). */
export { applyModels, type ApplyModelsOptions, type ApplyModelsResult, type ViewOutcome } from './apply.js';
export { VIEWS, type ViewColumn, type ViewDefinition } from './views.js';
export { postgres as postgresDialect, sqlite as sqliteDialect, type Dialect } from './dialect.js';
