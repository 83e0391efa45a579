import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSnagError, toSnagError, type SnagError } from '../../core/errors.js';
import { problemsError, sourceInputProblems } from '../../engine/index.js';
import type { Source } from '../../store/models.js';
import { previewErrorPanel, previewPanel } from '../components/preview-table.js';
import { PROJECTS_PANEL_ID, projectsBlock, sourceWizard, STEPS, TEST_PANEL_ID } from '../components/source-wizard.js';
import type { FormState } from '../components/form.js';
import { fieldProblems, httpStatusOf, serverHintOf, type FieldProblem } from '../errors.js';
import { html, type SafeHtml } from '../html.js';
import { FORM_FIELDS, relabel } from '../sources/fields.js';
import { previewFor } from '../sources/preview.js';
import { projectChoices, type ProjectChoices } from '../sources/projects.js';
import { createSourceFrom, updateSourceFrom } from '../sources/save.js';
import {
  defaultWizardValues,
  sourceRequestFromWizard,
  wizardValuesFromBody,
  wizardValuesFromSource,
  WIZARD_OPTIONS,
  type WizardValues,
} from '../sources/wizard-values.js';
import { pageHeading } from './layout.js';
import { pushFlash } from '../sessions.js';
import { isFetch, redirectByFetch, redirectWithFlash, sendFormResult, sendPage } from './respond.js';

/**
 * The source wizard's routes: `/sources/new` and `/sources/:id/edit` render it; a POST to `/sources` (or to
 * `/sources/:id/edit`) does what the button pressed asks — `save`, `test` (a few records in the result panel, nothing
 * saved) or `load` (list the picked credential's projects). Without JavaScript each answer is the whole wizard again,
 * with what was typed and the errors inline; app.js gets JSON (errors for the fields, or a panel's new content).
 */

type Body = Record<string, unknown>;
type IdParams = { Params: { id: string } };

interface WizardContext {
  mode: 'create' | 'edit';
  source: Source | null;
}

const FORM_FIELD_NAMES = [
  'name',
  'description',
  'credential_id',
  'organizations',
  'projects',
  'streams',
  'start_date',
  'filters',
  'destination',
  'schedule',
  'test_stream',
  ...WIZARD_OPTIONS.map((o) => o.key),
];

export function registerSourceWizardPages(app: FastifyInstance): void {
  app.get<{ Querystring: { credential_id?: string } }>('/sources/new', async (request, reply) => {
    const values = defaultWizardValues();
    const picked = typeof request.query.credential_id === 'string' ? request.query.credential_id : '';
    const credentials = await app.snag.credentials.listCredentials();
    // Back from adding a credential without JS (?credential_id=), or the only credential there is: picked already.
    values.credential_id = picked || (credentials.length === 1 ? credentials[0]!.id : '');
    return renderWizard(request, reply, { mode: 'create', source: null }, values, { initialStep: picked ? 1 : 0 });
  });

  app.post<{ Body: Body }>('/sources', async (request, reply) =>
    handlePost(request, reply, { mode: 'create', source: null }),
  );

  app.get<IdParams & { Querystring: { credential_id?: string } }>('/sources/:id/edit', async (request, reply) => {
    const source = await app.snag.runtime.store.sources.findByNameOrId(request.params.id);
    const values = wizardValuesFromSource(source, app.snag.runtime.home);
    if (typeof request.query.credential_id === 'string' && request.query.credential_id)
      values.credential_id = request.query.credential_id;
    return renderWizard(request, reply, { mode: 'edit', source }, values, { initialStep: 2 });
  });

  app.post<IdParams & { Body: Body }>('/sources/:id/edit', async (request, reply) => {
    const source = await app.snag.runtime.store.sources.findByNameOrId(request.params.id);
    return handlePost(request, reply, { mode: 'edit', source });
  });
}

function bodyOf(request: FastifyRequest): Body {
  const b = request.body;
  return b && typeof b === 'object' && !Array.isArray(b) ? (b as Body) : {};
}

async function handlePost(request: FastifyRequest, reply: FastifyReply, ctx: WizardContext): Promise<FastifyReply> {
  const body = bodyOf(request);
  const values = wizardValuesFromBody(body);
  // Which button was pressed. Not "action": an input of that name would hide the form's own action property.
  const action = typeof body.intent === 'string' ? body.intent : 'save';
  if (action === 'load') return loadProjects(request, reply, ctx, values);
  if (action === 'test') return test(request, reply, ctx, values);
  return save(request, reply, ctx, values);
}

async function choicesFor(request: FastifyRequest, credentialId: string): Promise<ProjectChoices | null> {
  if (!credentialId) return null;
  try {
    return await projectChoices(request.server.snag, credentialId);
  } catch (err) {
    // An unknown credential id (deleted meanwhile, or a hand-made form): nothing to list.
    if (isSnagError(err, 'missing')) return null;
    throw err;
  }
}

async function loadProjects(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WizardContext,
  values: WizardValues,
): Promise<FastifyReply> {
  const choices = await choicesFor(request, values.credential_id);
  if (isFetch(request)) {
    return sendFormResult(reply, 200, {
      ok: true,
      panels: [{ id: PROJECTS_PANEL_ID, html: projectsBlock(values, choices, {}).value }],
    });
  }
  return renderWizard(request, reply, ctx, values, { initialStep: 2, choices });
}

/**
 * Problems the wizard finds before the engine does: no credential picked, a project mode with no project checked.
 * Test and Save both report them, with the source configuration's own problems, all at once.
 */
function wizardProblems(values: WizardValues, forTest: boolean): Record<string, FieldProblem> {
  const problems: Record<string, FieldProblem> = {};
  if (forTest && !values.credential_id)
    problems.credential = { message: 'Pick a credential first: the records are read with it.' };
  if (values.project_mode !== 'all' && values.project_ids.length === 0) {
    problems.projects = {
      message: values.project_mode === 'include' ? 'Check the projects to sync.' : 'Check the projects to leave out.',
      hint: 'Or choose "All projects".',
    };
  }
  if (!forTest && values.destination_kind === 'postgres' && !/^postgres(ql)?:\/\//i.test(values.destination_url.trim()))
    problems.destination = {
      message: values.destination_url.trim()
        ? 'A PostgreSQL destination is a URL that starts with postgres://.'
        : 'Enter the PostgreSQL URL.',
      hint: 'For example postgres://user:password@host:5432/database?schema=bugsnag.',
    };
  return problems;
}

async function test(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WizardContext,
  values: WizardValues,
): Promise<FastifyReply> {
  let panel: SafeHtml;
  let errors: FormState['errors'] = {};
  try {
    const { input } = sourceRequestFromWizard(values, ctx.mode === 'edit');
    const { name: _n, credential, schedule: _s, destination: _d, ...config } = input;
    // Every problem of what Test reads with, at once (as Save reports them); fixed ones are cleared on the next answer.
    const invalid = problemsError({ ...wizardProblems(values, true), ...sourceInputProblems(config) });
    if (invalid) throw invalid;
    const result = await previewFor(
      request.server.snag.runtime,
      { credential: credential!, config },
      values.test_stream,
    );
    panel = previewPanel(result);
  } catch (err) {
    const e = relabel(toSnagError(err), FORM_FIELDS);
    const problems = placeable(e);
    if (Object.keys(problems).length === 0 || e.code !== 'config') {
      if (e.code === 'internal') throw err;
      const hint = serverHintOf(e);
      panel = previewErrorPanel(hint ? { message: e.message, hint } : { message: e.message });
    } else {
      if (isFetch(request))
        return sendFormResult(reply, 400, { ok: false, error: e.code, fields: problems, formError: null, clear: [] });
      errors = problems;
      panel = previewErrorPanel({ message: 'Fix the fields marked above, then test again.' });
    }
  }
  if (isFetch(request)) {
    // The panel is a live region: its new content is announced, and focus moves to it. `fields` (none) clears the
    // errors a previous Test or Save left on fields fixed since.
    return sendFormResult(reply, 200, {
      ok: true,
      panels: [{ id: TEST_PANEL_ID, html: panel.value }],
      focus: TEST_PANEL_ID,
      fields: {},
    });
  }
  return renderWizard(request, reply, ctx, values, { initialStep: 2, errors, testResult: panel });
}

async function save(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WizardContext,
  values: WizardValues,
): Promise<FastifyReply> {
  const deps = request.server.snag;
  try {
    const invalid = problemsError(wizardProblems(values, false));
    if (invalid) throw invalid;
    const req = sourceRequestFromWizard(values, ctx.mode === 'edit');
    const r = ctx.source
      ? await updateSourceFrom(deps.runtime, ctx.source.id, req)
      : await createSourceFrom(deps.runtime, req);
    const s = r.source;
    const notes = r.warnings.length ? ` Note: ${r.warnings.join(' ')}` : '';
    let message = `${ctx.mode === 'create' ? 'Saved' : 'Updated'} "${s.name}".${notes}`;
    let to = `/sources?selected=${encodeURIComponent(s.id)}#source-${s.id}`;
    if (values.run_now) {
      try {
        const run = await deps.runs.start(s.id, { trigger: 'api' });
        to = `/runs/${run.handle.runId}`;
        message += ' Its sync has started.';
      } catch (err) {
        // A failure is not news to put in the green "Saved" banner: it gets an error message of its own.
        const e = toSnagError(err);
        const hint = serverHintOf(e);
        if (request.auth.kind === 'session')
          pushFlash(request.auth.session, 'error', `The sync did not start: ${e.message}${hint ? ` ${hint}` : ''}`);
      }
    }
    if (isFetch(request)) return redirectByFetch(request, reply, ctx.mode === 'create' ? 201 : 200, to, message);
    return redirectWithFlash(request, reply, to, message);
  } catch (err) {
    if (!isSnagError(err) || !['config', 'conflict'].includes(err.code)) throw err;
    const e = relabel(err, FORM_FIELDS);
    const problems = placeable(e);
    // A taken name: on the name field, with advice for this page (the store's hint speaks to the CLI).
    if (e.code === 'conflict' && problems.name)
      problems.name = {
        message: problems.name.message,
        hint: 'Choose another name, or edit the existing source from the Sources page.',
      };
    const formError: FieldProblem | null = Object.keys(problems).length
      ? null
      : serverHintOf(e)
        ? { message: e.message, hint: serverHintOf(e) as string }
        : { message: e.message };
    const status = httpStatusOf(e);
    if (isFetch(request))
      return sendFormResult(reply, status, { ok: false, error: e.code, fields: problems, formError, clear: [] });
    return renderWizard(request, reply, ctx, values, { errors: problems, formError, status });
  }
}

/** The error's field problems that have an input in the wizard (`status` has none: it goes to the form error). */
function placeable(e: SnagError): Record<string, FieldProblem> {
  const out: Record<string, FieldProblem> = {};
  for (const [k, v] of Object.entries(fieldProblems(e))) if (FORM_FIELD_NAMES.includes(k)) out[k] = v;
  return out;
}

interface RenderExtras {
  errors?: FormState['errors'];
  formError?: FieldProblem | null;
  testResult?: SafeHtml;
  initialStep?: number;
  status?: number;
  /** Already listed (undefined: list them now if a credential is picked). */
  choices?: ProjectChoices | null;
}

async function renderWizard(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: WizardContext,
  values: WizardValues,
  extras: RenderExtras = {},
): Promise<FastifyReply> {
  const deps = request.server.snag;
  const credentials = await deps.credentials.listCredentials();
  const choices = extras.choices !== undefined ? extras.choices : await choicesFor(request, values.credential_id);
  const errors = extras.errors ?? {};
  // With JS the wizard opens on the first step with an error.
  const firstError = STEPS.findIndex((_, i) => stepFields(i).some((f) => errors[f]));
  const title = ctx.source ? `Edit ${ctx.source.name}` : 'New source';
  const action = ctx.source ? `/sources/${ctx.source.id}/edit` : '/sources';
  return sendPage(request, reply, {
    status: extras.status ?? 200,
    title,
    active: 'sources',
    body: (page) =>
      sourceWizardPage(title, {
        mode: ctx.mode,
        action,
        csrf: page.csrf ?? '',
        values,
        errors,
        formError: extras.formError ?? null,
        credentials,
        projects: choices,
        testResult: extras.testResult ?? null,
        home: deps.runtime.home,
        now: page.now,
        returnTo: ctx.source ? `/sources/${ctx.source.id}/edit` : '/sources/new',
        initialStep: firstError >= 0 ? firstError : (extras.initialStep ?? 0),
        canAddCredential: page.can('credentials:write'),
      }),
  });
}

function stepFields(i: number): string[] {
  const configure = [
    'organizations',
    'projects',
    'streams',
    'start_date',
    'filters',
    'test_stream',
    ...WIZARD_OPTIONS.map((o) => o.key),
  ];
  return [[], ['credential_id'], configure, ['destination'], ['schedule'], ['name', 'description']][i] ?? [];
}

function sourceWizardPage(title: string, options: Parameters<typeof sourceWizard>[0]): SafeHtml {
  return html`<section class="wizard-page" aria-labelledby="page-title">
${pageHeading(title)}
<p class="lede">A source reads Bugsnag with a credential and writes into a destination, on a schedule or when you run it.</p>
${sourceWizard(options)}
</section>`;
}
