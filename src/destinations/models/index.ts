/** The ready-made analytics views (issue 20): declared once (views.ts), rendered per database (dialect.ts). */
export { applyModels, type ApplyModelsOptions, type ApplyModelsResult, type ViewOutcome } from './apply.js';
export { VIEWS, type ViewColumn, type ViewDefinition } from './views.js';
export {
  postgres as postgresDialect,
  postgresPlain as postgresPlainDialect,
  sqlite as sqliteDialect,
  type Dialect,
} from './dialect.js';
export { DAILY_ROLLUP, RELEASE_ROLLUP, ROLLUPS, type Rollup } from './rollups.js';
