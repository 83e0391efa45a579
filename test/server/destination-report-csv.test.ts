import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { csvCell, reportCsv } from '../../src/server/sinks/report-csv.js';
import type { Simulator } from '../../src/sim/index.js';
import { projectsOf, simErrorIds } from '../writeback/helpers.js';
import { keyHeaders, login, postForm, type Browser } from './helpers.js';
import { sourcesServer, startSim, type SourcesServer } from './sources-helpers.js';

/** A write-back run's report as a CSV download: on the run's page (a link) and in the API. */

let sim: Simulator;
let s: SourcesServer;
let browser: Browser;
let credentialId: string;
let project: string;
let ids: string[];

beforeAll(async () => {
  sim = await startSim({ errors: 6 });
  project = projectsOf(sim)[0]!;
  ids = await simErrorIds(sim, project, 3);
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  s = await sourcesServer();
  credentialId = await s.credential(sim);
  browser = await login(s.app);
});
afterEach(async () => {
  await s.cleanup();
});

const get = (url: string) => s.app.inject({ method: 'GET', url, headers: { cookie: browser.cookie } });

/** Parses RFC 4180 text (quoted cells, doubled quotes, CRLF) into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

async function appliedRun(): Promise<{ sinkId: string; runId: string }> {
  const content = [...ids.slice(0, 2), 'abcdefabcdefabcdefabcdef']
    .map((id) => JSON.stringify({ project_id: project, error_id: id }))
    .join('\n');
  const saved = await postForm(s.app, browser, '/destinations', {
    credential_id: credentialId,
    input_type: 'file',
    format: 'jsonl',
    content,
    filename: 'rows.jsonl',
    operation: 'fix',
    name: 'Fix them',
  });
  expect(saved.statusCode, saved.body).toBe(303);
  const sinkId = (saved.headers.location as string).split('/')[2]!;
  const applied = await postForm(s.app, browser, `/destinations/${sinkId}/apply`, {});
  expect(applied.statusCode, applied.body).toBe(303);
  const runId = (applied.headers.location as string).split('/').at(-1)!;
  await s.app.snag.sinkRuns.get(runId)!.done;
  return { sinkId, runId };
}

describe('the write-back report as CSV', () => {
  it("the run's page links a CSV of every row (outcome, message, Bugsnag's status), the API serves the same", async () => {
    const { sinkId, runId } = await appliedRun();
    const page = await get(`/destinations/${sinkId}/runs/${runId}`);
    expect(page.body).toContain(`href="/destinations/${sinkId}/runs/${runId}/report.csv"`);
    expect(page.body).toContain('Download CSV');

    const res = await get(`/destinations/${sinkId}/runs/${runId}/report.csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${runId}-report.csv"`);
    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['row', 'project_id', 'error_id', 'operation', 'outcome', 'message', 'status_code']);
    expect(rows).toHaveLength(4);
    expect(rows[1]!.slice(0, 5)).toEqual(['1', project, ids[0], 'fix', 'applied']);
    expect(rows[2]!.slice(0, 5)).toEqual(['2', project, ids[1], 'fix', 'applied']);
    expect(rows[3]!.slice(0, 5)).toEqual(['3', project, 'abcdefabcdefabcdefabcdef', 'fix', 'failed']);
    expect(rows[3]![5]).toMatch(/not found/);
    expect(rows[3]![6]).toBe('404');
    expect(rows[1]![6]).toBe('');

    const api = await s.app.inject({
      method: 'GET',
      url: `/api/data_sinks/${sinkId}/runs/${runId}/report.csv`,
      headers: keyHeaders(),
    });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-disposition']).toBe(`attachment; filename="${runId}-report.csv"`);
    expect(api.body).toBe(res.body);
    // Without a key, nothing; a run of another destination, 404.
    expect(
      (await s.app.inject({ method: 'GET', url: `/api/data_sinks/${sinkId}/runs/${runId}/report.csv` })).statusCode,
    ).toBe(401);
    expect((await get(`/destinations/${sinkId}/runs/wbr_nope/report.csv`)).statusCode).toBe(404);
  });

  it('quotes as RFC 4180 says and never lets a spreadsheet read a cell as a formula', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    for (const lead of ['=', '+', '-', '@']) expect(csvCell(`${lead}1+1`)).toBe(`'${lead}1+1`);
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell(null)).toBe('');
    const text = reportCsv([
      {
        row: 1,
        project_id: 'p',
        error_id: 'e',
        operation: 'comment',
        outcome: 'failed',
        message: "Bugsnag refused comment (403): =cmd|' /C calc'!A0",
        code: 'forbidden',
      },
    ]);
    const [, line] = parseCsv(text);
    expect(line).toEqual([
      '1',
      'p',
      'e',
      'comment',
      'failed',
      "Bugsnag refused comment (403): =cmd|' /C calc'!A0",
      '403',
    ]);
    expect(
      parseCsv(
        reportCsv([
          {
            ...JSON.parse('{}'),
            row: 2,
            project_id: '@x',
            error_id: '-1',
            operation: '+o',
            outcome: 'skipped',
            message: '=1',
            code: null,
          },
        ]),
      )[1],
    ).toEqual(['2', "'@x", "'-1", "'+o", 'skipped', "'=1", '']);
  });
});
