import type { FastifyInstance } from 'fastify';
import { html } from '../html.js';
import { pageHeading, type NavArea } from './layout.js';
import { sendPage } from './respond.js';

/**
 * Overview, Sources and Runs until their own page modules replace them (each area gets its file in pages/ and its
 * line in pages/index.ts; delete its entry here then).
 */
const PLACEHOLDERS: ReadonlyArray<{ area: NavArea; path: string; title: string; text: string }> = [
  { area: 'overview', path: '/', title: 'Overview', text: 'Charts of the synced data appear here once a source has run.' },
  { area: 'sources', path: '/sources', title: 'Sources', text: 'Sources are created from the command line for now: snagsync sources create.' },
  { area: 'runs', path: '/runs', title: 'Runs', text: 'Run history is shown on the command line for now: snagsync runs list.' },
];

export function registerPlaceholderPages(app: FastifyInstance): void {
  for (const p of PLACEHOLDERS) {
    app.get(p.path, async (request, reply) =>
      sendPage(request, reply, {
        title: p.title,
        active: p.area,
        body: () => html`<section aria-labelledby="page-title">${pageHeading(p.title)}<p>${p.text}</p><p><a href="/credentials">Manage credentials</a></p></section>`,
      }),
    );
  }
}
