import { describe, expect, it } from 'vitest';
import { SnagError } from '../../src/core/errors.js';
import { harness } from '../http/helpers/client.js';
import type { Step } from '../http/helpers/scripted.js';

const P = '5a2fc37fd1befa003981d5b9';

async function mapped(
  step: Step,
  call: (h: ReturnType<typeof harness>) => Promise<unknown> = (h) => h.client.projects.get(P),
) {
  const h = harness([step, step, step, step]);
  try {
    await call(h);
  } catch (err) {
    expect(err).toBeInstanceOf(SnagError);
    return { err: err as SnagError, calls: h.script.calls.length };
  }
  throw new Error('expected an error');
}

describe('mapping Bugsnag answers to SnagError codes', () => {
  it('401 → auth_invalid, with the Personal Auth Token hint and the facts the credentials feature needs', async () => {
    const { err, calls } = await mapped({ status: 401, body: { errors: ['Bad Credentials'] } });
    expect(err.code).toBe('auth_invalid');
    expect(err.exitCode).toBe(10);
    expect(err.status).toBe(401);
    expect(err.message).toBe(
      'Bugsnag rejected the token (401: Bad Credentials): it is invalid, revoked, or not a Personal Auth Token.',
    );
    expect(err.hint).toContain('Personal auth tokens');
    expect(err.details).toEqual({
      status: 401,
      method: 'GET',
      path: `/projects/${P}`,
      host: 'https://api.bugsnag.com',
      attempts: 1,
      bugsnagErrors: ['Bad Credentials'],
    });
    expect(calls).toBe(1);
  });

  it('401 with no body at all is still auth_invalid', async () => {
    const { err } = await mapped({ status: 401, body: '' });
    expect(err.code).toBe('auth_invalid');
    expect(err.details.bugsnagErrors).toEqual([]);
  });

  it("404 → not_found with Bugsnag's own message", async () => {
    const { err, calls } = await mapped({ status: 404, body: { errors: ['Project not found'] } });
    expect(err.code).toBe('not_found');
    expect(err.exitCode).toBe(13);
    expect(err.message).toBe(`Project not found (404, GET /projects/${P}).`);
    expect(err.hint).toContain('404 (not 403)');
    expect(calls).toBe(1);
  });

  it('404 with the {"status":404,"error":"Not Found"} envelope is an unrouted path', async () => {
    const { err } = await mapped({ status: 404, body: { status: 404, error: 'Not Found' } });
    expect(err.code).toBe('not_found');
    expect(err.details.unrouted).toBe(true);
    expect(err.message).toBe(`Bugsnag does not serve GET /projects/${P} (404 Not Found).`);
    expect(err.hint).toContain('plan');
  });

  it('404 "User not found" on /user/organizations means a non-user credential', async () => {
    const { err } = await mapped({ status: 404, body: { errors: ['User not found'] } }, (h) =>
      h.client.organizations.list().all(),
    );
    expect(err.hint).toContain('not made with a user');
  });

  it('404 HTML page → not_bugsnag (wrong host)', async () => {
    const { err } = await mapped({ status: 404, headers: { 'content-type': 'text/html' }, body: '<html>nope</html>' });
    expect(err.code).toBe('not_bugsnag');
  });

  it('403 Organization Administrator role required → forbidden', async () => {
    const { err } = await mapped({ status: 403, body: { errors: ['Organization Administrator role required'] } }, (h) =>
      h.client.collaborators.listForOrganization('o1').all(),
    );
    expect(err.code).toBe('forbidden');
    expect(err.exitCode).toBe(11);
    expect(err.message).toBe(
      'Bugsnag refused GET /organizations/o1/collaborators: Organization Administrator role required (403).',
    );
    expect(err.hint).toContain('administrator');
  });

  it('403 code 40000 → forbidden (project role too low)', async () => {
    const { err, calls } = await mapped(
      { status: 403, body: { code: 40000, errors: ['Insufficient Project Role for performing requested action'] } },
      (h) => h.client.errors.update(P, 'e1', { operation: 'ignore' }),
    );
    expect(err.code).toBe('forbidden');
    expect(err.details.bugsnagCode).toBe(40000);
    expect(err.hint).toContain('higher role');
    expect(calls).toBe(1);
  });

  it('403 "Account requires the … feature" → plan_feature', async () => {
    const { err } = await mapped(
      { status: 403, body: { errors: ['Account requires the performance-comparisons feature'] } },
      (h) => h.client.savedSearches.list(P).all(),
    );
    expect(err.code).toBe('plan_feature');
    expect(err.exitCode).toBe(12);
    expect(err.details.feature).toBe('performance-comparisons');
  });

  it('403 with an account lockout code → forbidden with a billing hint', async () => {
    const { err } = await mapped({ status: 403, body: { code: 31000, errors: ['Invalid subscription'] } });
    expect(err.code).toBe('forbidden');
    expect(err.hint).toContain('trial');
  });

  it("400 → validation with Bugsnag's errors text", async () => {
    const { err, calls } = await mapped({ status: 400, body: { errors: ["release_stage_name can't be blank"] } }, (h) =>
      h.client.releaseGroups.list(P, { releaseStageName: 'production' }).all(),
    );
    expect(err.code).toBe('validation');
    expect(err.exitCode).toBe(14);
    expect(err.message).toBe(
      `Bugsnag rejected the request's parameters for GET /projects/${P}/release_groups (400: release_stage_name can't be blank).`,
    );
    expect(calls).toBe(1);
  });

  it('422 code 60000 → result_too_large', async () => {
    const { err } = await mapped(
      { status: 422, body: { errors: ['Unable to return complete results'], code: 60000 } },
      (h) => h.client.errors.list(P).all(),
    );
    expect(err.code).toBe('result_too_large');
    expect(err.exitCode).toBe(15);
    expect(err.hint).toContain('sort=unsorted');
  });

  it('422 without code 60000 → validation', async () => {
    const { err } = await mapped({ status: 422, body: { errors: ['base must be iso8601 format'] } });
    expect(err.code).toBe('validation');
  });

  it('3xx redirect → not_bugsnag naming where it went, without following it', async () => {
    const { err, calls } = await mapped({
      status: 302,
      headers: { Location: 'https://app.bugsnag.com/user/sign_in?x=1' },
      body: '',
    });
    expect(err.code).toBe('not_bugsnag');
    expect(err.message).toContain('redirected GET');
    expect(err.details.location).toBe('https://app.bugsnag.com/user/sign_in');
    expect(calls).toBe(1);
  });

  it('a 200 whose JSON is not the expected shape → not_bugsnag, naming the field but not the value', async () => {
    const { err } = await mapped({
      status: 200,
      body: { organizations_url: 'https://api.bugsnag.com/user/organizations' },
    });
    expect(err.code).toBe('not_bugsnag');
    expect(err.message).toContain('does not look like a project (id:');
    expect(err.message).not.toContain('organizations_url');
  });

  it('a list endpoint answering an object → not_bugsnag', async () => {
    const { err } = await mapped({ status: 200, body: { id: 'x' } }, (h) => h.client.projects.list('o1').all());
    expect(err.code).toBe('not_bugsnag');
    expect(err.message).toContain('not a list');
  });

  it('a list row without an id → not_bugsnag naming the row', async () => {
    const { err } = await mapped({ status: 200, body: [{ id: 'a' }, { name: 'no id' }] }, (h) =>
      h.client.projects.list('o1').all(),
    );
    expect(err.message).toContain('row 2: id:');
  });

  it('an empty 200 where a record is expected → not_bugsnag', async () => {
    const { err } = await mapped({ status: 200, body: '' });
    expect(err.code).toBe('not_bugsnag');
    expect(err.message).toContain('an empty body');
  });

  it('every message says what to do', async () => {
    for (const status of [400, 401, 403, 404, 422, 429, 500, 302]) {
      const { err } = await mapped({ status, body: { errors: ['x'] } });
      expect(err.hint, `status ${status}`).toBeTruthy();
      expect(err.toJSON()).toMatchObject({ error: err.code, exit_code: err.exitCode });
    }
  });
});
