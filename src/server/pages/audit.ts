import type { FastifyInstance } from 'fastify';
import type { AuditEntry, AuditQuery } from '../../store/audit.js';
import { formError } from '../components/form.js';
import { timeElement } from '../components/time.js';
import type { FieldProblem } from '../errors.js';
import { attrs, html, type SafeHtml } from '../html.js';
import { pageHeading, type PageContext } from './layout.js';
import { sendPage } from './respond.js';

/**
 * The Audit page (admins: `audit:read`): the audit log, newest first, 50 a page, filtered by actor, resource, action
 * (the HTTP method), outcome and a time range (UTC), with "Download JSONL" of the same filter (`GET /api/audit?
 * format=jsonl`). An entry holds field names, never values, so the page shows no secret. The filter is a GET form:
 * a filtered page is a link to share.
 */

const PAGE_SIZE = 50;
const METHODS = ['POST', 'PUT', 'DELETE', 'GET'] as const;
const OUTCOMES = ['ok', 'refused', 'failed'] as const;

type Raw = Record<string, string | undefined>;

interface Filter {
  /** What the form shows back. */
  values: { actor: string; resource: string; method: string; outcome: string; since: string; until: string };
  query: Omit<AuditQuery, 'limit'>;
  problems: Record<string, FieldProblem>;
}

export function registerAuditPage(app: FastifyInstance): void {
  app.get<{ Querystring: Raw }>('/audit', async (request, reply) => {
    const f = filterOf(request.query);
    const bad = Object.keys(f.problems).length > 0;
    const page = bad
      ? { entries: [], next_before: null }
      : await app.snag.runtime.store.audit.list({ limit: PAGE_SIZE, ...f.query });
    return sendPage(request, reply, {
      status: bad ? 400 : 200,
      title: 'Audit',
      active: 'audit',
      body: (ctx) => auditBody(ctx, f, page.entries, page.next_before),
    });
  });
}

function filterOf(q: Raw): Filter {
  const s = (k: string) => (typeof q[k] === 'string' ? q[k]!.trim() : '');
  const values = {
    actor: s('actor'),
    resource: s('resource'),
    method: s('method').toUpperCase(),
    outcome: s('outcome'),
    since: s('since'),
    until: s('until'),
  };
  const problems: Record<string, FieldProblem> = {};
  const query: Omit<AuditQuery, 'limit'> = {};
  if (values.actor)
    query.actor = values.actor.toLowerCase() === 'server key' ? 'server key' : values.actor.toLowerCase();
  if (values.resource) query.resource = values.resource;
  if (values.method) {
    if ((METHODS as readonly string[]).includes(values.method)) query.method = values.method;
    else problems.method = { message: `"${values.method}" is not an action: choose POST, PUT, DELETE or GET.` };
  }
  if (values.outcome) {
    if ((OUTCOMES as readonly string[]).includes(values.outcome))
      query.outcome = values.outcome as AuditQuery['outcome'];
    else problems.outcome = { message: `"${values.outcome}" is not an outcome: choose ok, refused or failed.` };
  }
  for (const k of ['since', 'until'] as const) {
    if (!values[k]) continue;
    const t = utc(values[k]);
    if (t === null)
      problems[k] = {
        message: `"${values[k]}" is not a time.`,
        hint: 'Give a date and time such as 2026-05-01T10:00 (UTC).',
      };
    else query[k] = t;
  }
  const before = Number(s('before'));
  if (Number.isInteger(before) && before > 0) query.before = before;
  return { values, query, problems };
}

/** A `datetime-local` value (no zone: read as UTC) or a full ISO 8601 time → ISO; null when it is neither. */
function utc(v: string): string | null {
  const local = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?$/;
  const zoned = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?(Z|[+-]\d\d:\d\d)$/i;
  const iso = /^\d{4}-\d\d-\d\d$/.test(v) ? `${v}T00:00Z` : local.test(v) ? `${v}Z` : zoned.test(v) ? v : null;
  const t = iso === null ? Number.NaN : Date.parse(iso);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

/** The query string of a filter (without the page cursor), for the paging and download links. */
function filterParams(f: Filter): URLSearchParams {
  const p = new URLSearchParams();
  const q = f.query;
  for (const k of ['actor', 'resource', 'method', 'outcome', 'since', 'until'] as const) {
    const v = q[k];
    if (v !== undefined) p.set(k, v);
  }
  return p;
}

function auditBody(ctx: PageContext, f: Filter, entries: AuditEntry[], nextBefore: number | null): SafeHtml {
  const params = filterParams(f);
  const download = new URLSearchParams(params);
  download.set('format', 'jsonl');
  const older = new URLSearchParams(params);
  if (nextBefore !== null) older.set('before', String(nextBefore));
  const paged = f.query.before !== undefined;
  const filtered = params.size > 0;
  const problem = Object.values(f.problems)[0];
  return html`<section aria-labelledby="page-title" class="team-page audit-page">
<div class="page-head">${pageHeading('Audit')} <a class="button" href="/api/audit?${download.toString()}" download="snagsync-audit.jsonl" data-download-jsonl>Download JSONL<span class="visually-hidden"> of ${filtered ? 'the filtered' : 'the whole'} log</span></a></div>
<p class="lede">Every change made through this server, every refusal, and every use of a Bugsnag credential by a person: who, when, from where, and what — the names of the fields sent, never their values.</p>
<form method="get" action="/audit" class="audit-filter" role="search" aria-label="Filter the audit log">
${problem ? formError(problem) : ''}
<div class="filter-grid">
${textFilter('actor', 'Actor', f.values.actor, 'An email, or server key', f.problems.actor)}
${textFilter('resource', 'Resource', f.values.resource, 'An id, or a word of the route: tokens', f.problems.resource)}
${choiceFilter(
  'method',
  'Action',
  f.values.method,
  [
    ['', 'Any'],
    ['POST', 'POST (create, run, do)'],
    ['PUT', 'PUT (change)'],
    ['DELETE', 'DELETE (remove)'],
    ['GET', 'GET (refused reads)'],
  ],
  f.problems.method,
)}
${choiceFilter(
  'outcome',
  'Outcome',
  f.values.outcome,
  [
    ['', 'Any'],
    ['ok', 'ok'],
    ['refused', 'refused'],
    ['failed', 'failed'],
  ],
  f.problems.outcome,
)}
${timeFilter('since', 'From (UTC)', f.values.since, f.problems.since)}
${timeFilter('until', 'Until (UTC)', f.values.until, f.problems.until)}
</div>
<div class="form-actions"><button type="submit" class="button primary">Filter</button>${filtered ? html` <a class="button" href="/audit">Clear the filter</a>` : ''}</div>
</form>
${
  entries.length
    ? html`<div class="table-scroll"><table class="data-table responsive audit-table" data-audit-table>
<caption class="visually-hidden">Audit entries, newest first</caption>
<thead><tr><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Fields</th><th scope="col">Outcome</th><th scope="col">From</th></tr></thead>
<tbody>${entries.map((e) => entryRow(e, ctx.now))}</tbody>
</table></div>`
    : html`<p class="empty" data-empty="audit">${filtered ? 'No entry matches this filter.' : 'Nothing recorded yet.'}</p>`
}
<nav class="pager" aria-label="Audit pages">${paged ? html`<a class="button" href="/audit${params.size ? `?${params.toString()}` : ''}">Newest</a>` : ''}${nextBefore !== null ? html` <a class="button" rel="next" href="/audit?${older.toString()}">Older entries</a>` : ''}</nav>
</section>`;
}

function entryRow(e: AuditEntry, now: number): SafeHtml {
  const outcome =
    e.outcome === 'ok'
      ? html`<span class="badge badge-verified">ok</span>`
      : e.outcome === 'refused'
        ? html`<span class="badge badge-failed">refused</span>`
        : html`<span class="badge badge-unverified">failed</span>`;
  return html`<tr data-audit-id="${String(e.id)}">
<td data-label="When">${timeElement(e.at, now)}</td>
<th scope="row" data-label="Actor">${e.actor}<span class="muted"> (${e.actor_kind === 'key' ? 'server key' : e.actor_kind === 'token' ? 'API token' : 'browser'})</span></th>
<td data-label="Action"><code>${e.method} ${e.route}</code>${e.kind === 'credential' ? html` <span class="muted">used a Bugsnag credential</span>` : ''}</td>
<td data-label="Resource">${e.resource_id ? html`<code>${e.resource_id}</code>` : html`<span class="muted">–</span>`}</td>
<td data-label="Fields">${e.fields.length ? e.fields.join(', ') : html`<span class="muted">–</span>`}</td>
<td data-label="Outcome">${outcome} ${String(e.status)}${e.permission ? html` <span class="muted">missing ${e.permission}</span>` : ''}</td>
<td data-label="From">${e.address ?? '–'}</td>
</tr>`;
}

function textFilter(name: string, label: string, value: string, help: string, problem?: FieldProblem): SafeHtml {
  const id = `audit-${name}`;
  return html`<div class="field${problem ? ' has-error' : ''}"><label for="${id}">${label}</label><input${attrs({ type: 'text', id, name, value: value || null, placeholder: help, autocomplete: 'off', spellcheck: 'false', 'aria-invalid': problem ? 'true' : null })}></div>`;
}

function choiceFilter(
  name: string,
  label: string,
  value: string,
  options: Array<[string, string]>,
  problem?: FieldProblem,
): SafeHtml {
  const id = `audit-${name}`;
  return html`<div class="field${problem ? ' has-error' : ''}"><label for="${id}">${label}</label><select${attrs({ id, name, 'aria-invalid': problem ? 'true' : null })}>${options.map(
    ([v, l]) => html`<option${attrs({ value: v, selected: v === value })}>${l}</option>`,
  )}</select></div>`;
}

function timeFilter(name: string, label: string, value: string, problem?: FieldProblem): SafeHtml {
  const id = `audit-${name}`;
  return html`<div class="field${problem ? ' has-error' : ''}"><label for="${id}">${label}</label><input${attrs({ type: 'datetime-local', id, name, value: value || null, 'aria-invalid': problem ? 'true' : null })}></div>`;
}
