import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBugsnagClient, type BugsnagClient } from '../../src/bugsnag/index.js';
import { isSnagError, type SnagError } from '../../src/core/errors.js';
import type { Simulator } from '../../src/sim/index.js';
import { start } from '../sim/helpers.js';

/**
 * A plan without feature flags or BugSnag Performance: the client says which feature is missing (`plan_feature`, the
 * feature named, a hint to leave the data out or upgrade), whether Bugsnag words it "Account requires…" or
 * "Organization requires…" (the network endpoint grouping's documented answer). The engine skips such a stream.
 */
let sim: Simulator;
let client: BugsnagClient;
let project: string;

beforeAll(async () => {
  sim = await start({ orgs: 2, projects: 2, errors: 4, events: 20 });
  client = createBugsnagClient({
    token: sim.tokens.find((t) => t.role === 'multi-org')!.token,
    host: sim.url,
    logger: false,
    retry: { retries: 0, rateLimitRetries: 0 },
  });
  project = sim.info().organizations.find((o) => o.id === sim.fixtures.orgWithoutFlagsAndPerformance)!.projects[0]!.id;
});

afterAll(async () => {
  await sim?.close();
});

async function refusal(call: () => Promise<unknown>): Promise<SnagError> {
  try {
    await call();
  } catch (err) {
    if (isSnagError(err)) return err;
    throw err;
  }
  throw new Error('the call was not refused');
}

describe('a plan without the feature', () => {
  it.each([
    [
      'feature flags',
      () => client.featureFlags.list(project, { releaseStageName: 'production' }).all(),
      'features-experiments',
    ],
    ['span groups', () => client.performance.spanGroups(project).all(), 'performance'],
    ['page loads', () => client.performance.pageLoadSpanGroups(project).all(), 'performance'],
    [
      'the network endpoint grouping',
      () => client.performance.networkEndpointGrouping(project),
      'performance network grouping',
    ],
  ] as const)('%s: plan_feature, naming the feature', async (_what, call, feature) => {
    const err = await refusal(call);
    expect(err.code).toBe('plan_feature');
    expect(err.status).toBe(403);
    expect(err.details.feature).toBe(feature);
    expect(err.hint).toContain(`does not include the ${feature} feature`);
  });

  it('feature flags without a release stage: a config error before any request', async () => {
    const err = await refusal(() => client.featureFlags.list(project, { releaseStageName: ' ' }).all());
    expect(err.code).toBe('config');
    expect(err.hint).toMatch(/release_stages/);
  });
});
