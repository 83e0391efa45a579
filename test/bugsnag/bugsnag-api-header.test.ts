import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { startSimulator, type Simulator } from '../../src/sim/index.js';

/**
 * Current Bugsnag clients ([RUBY], [SBMCP]) send `X-Bugsnag-API: true` with every Data Access API request; on-premise
 * installations look for it (docs/bugsnag-api.md §3). The simulator counts the requests of a known token that came
 * without it, so this checks what reached the socket, reads and writes alike.
 */
let sim: Simulator;

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, events: 200, errors: 5, rateLimit: 1_000_000 });
});
afterAll(() => sim.close());

describe('X-Bugsnag-API', () => {
  it('snagsync’s client sends X-Bugsnag-API: true on every request; a request without it is counted', async () => {
    const client = createBugsnagClient({
      token: sim.tokens[0]!.token,
      host: sim.url,
      logger: false,
      retry: { retries: 0, rateLimitRetries: 0 },
    });
    sim.resetStats();
    const orgs = await client.organizations.list().all();
    const projects = await client.projects.list(orgs[0]!.id).all();
    const project = projects[0]!.id;
    const errors = await client.errors.list(project, { perPage: 2 }).all();
    await client.events.listForError(project, errors[0]!.id).all();
    await client.comments.create(project, errors[0]!.id, 'checked by a test');
    const seen = sim.stats();
    expect(seen.requests).toBeGreaterThanOrEqual(5);
    expect(seen.withoutBugsnagApi).toBe(0);

    const bare = await fetch(`${sim.url}/user/organizations`, {
      headers: { Authorization: `token ${sim.tokens[0]!.token}`, 'X-Version': '2' },
    });
    expect(bare.status).toBe(200);
    expect(sim.stats().withoutBugsnagApi).toBe(1);
  });
});
