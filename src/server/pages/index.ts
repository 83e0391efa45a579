import type { FastifyInstance } from 'fastify';
import { registerCredentialPages } from './credentials.js';
import { registerLoginPages } from './login.js';
import { registerPlaceholderPages } from './placeholders.js';

/** One module per area, each registering its own routes. Add a line for a new area. */
export const PAGE_MODULES: ReadonlyArray<(app: FastifyInstance) => void> = [
  registerLoginPages,
  registerPlaceholderPages,
  registerCredentialPages,
];
