import type { FastifyInstance } from 'fastify';
import { registerCredentialPages } from './credentials.js';
import { registerDestinationPages } from './destinations.js';
import { registerErrorHistoryPage } from './error-history.js';
import { registerLoginPages } from './login.js';
import { registerAuditPage } from './audit.js';
import { registerOverviewPage } from './overview.js';
import { registerRunPages } from './runs.js';
import { registerSourceWizardPages } from './source-wizard.js';
import { registerSourcePages } from './sources.js';
import { registerSourceTimePages } from './source-time.js';
import { registerSourceRefreshPages } from './source-refresh.js';
import { registerSourceNotifyPages } from './source-notify.js';
import { registerTokenPages } from './tokens.js';
import { registerUserPages } from './users.js';

/** One module per area, each registering its own routes. Add a line for a new area. */
export const PAGE_MODULES: ReadonlyArray<(app: FastifyInstance) => void> = [
  registerLoginPages,
  registerOverviewPage,
  // The wizard's static paths (/sources/new) before the source pages' /sources/:id, for readers: Fastify routes either order.
  registerSourceWizardPages,
  registerSourcePages,
  registerSourceTimePages,
  registerSourceRefreshPages,
  registerSourceNotifyPages,
  registerErrorHistoryPage,
  registerRunPages,
  registerCredentialPages,
  registerDestinationPages,
  registerUserPages,
  registerTokenPages,
  registerAuditPage,
];
