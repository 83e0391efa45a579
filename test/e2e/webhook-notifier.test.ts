import bugsnagNode from '@bugsnag/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { requireService } from '../helpers/services.js';
import { startSim } from '../server/sources-helpers.js';
import { testServer, type TestServer } from '../server/helpers.js';
import { rows, until, webhookSource } from '../server/webhooks-helpers.js';
import { tempDir } from '../store/helpers.js';
import { testSchema, type TestSchema } from '../store/pg.js';

/**
 * End to end with a client nobody here wrote (issue 21, item 7): an app using `@bugsnag/node` throws; its notifier
 * reports to the simulator, which groups the event into an error and sends its webhook like Bugsnag; `serve` stores
 * the message and writes the rows — in a SQLite and a PostgreSQL destination — within 5 s of the report.
 */
const Bugsnag = bugsnagNode.default;
const WITHIN_MS = 5000;
const withPostgres = requireService('postgres');

let sim: Simulator;
let s: TestServer;
let base: string;
let data: { dir: string; cleanup: () => void };
let pgDest: TestSchema | undefined;

beforeAll(async () => {
  sim = await startSim({ projects: 1, errors: 3, events: 20 });
  s = await testServer();
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
  data = tempDir('snagsync-notifier-');
  if (withPostgres) pgDest = testSchema('snaghooknotify');
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
  data.cleanup();
  await pgDest?.drop();
});

class CheckoutFailed extends Error {
  override name = 'CheckoutFailed';
}

function placeOrder(cart: string): never {
  throw new CheckoutFailed(`no stock for ${cart}`);
}

describe('a real notifier to a row, through Bugsnag-style webhooks', () => {
  it('an error thrown in an app is a row in SQLite and PostgreSQL within 5 s', async () => {
    const project = sim.info().organizations[0]!.projects[0]!;
    const config = { projects: [project.id], streams: ['errors', 'events'] };
    const sources = [await webhookSource(s.runtime, data.dir, config)];
    if (pgDest) sources.push(await webhookSource(s.runtime, data.dir, config, pgDest.url));
    for (const src of sources)
      sim.webhooks.add({
        url: `${base}${src.path}`,
        triggers: ['firstException', 'exception'],
        project_id: project.id,
      });

    const client = Bugsnag.createClient({
      apiKey: project.api_key,
      endpoints: { notify: `${sim.url}/notify`, sessions: `${sim.url}/sessions` },
      autoTrackSessions: false,
      autoDetectErrors: false,
      releaseStage: 'production',
      appVersion: '2.0.1',
      logger: null,
    });
    const reported = await new Promise<number>((resolve, reject) => {
      try {
        placeOrder('cart-17');
      } catch (err) {
        client.notify(err as Error, undefined, (e: unknown) => (e ? reject(e) : resolve(Date.now())));
      }
    });

    // The simulator's own record of the event: what the rows must say.
    const [event] = (await (
      await fetch(`${sim.url}/projects/${project.id}/events?per_page=1`, {
        headers: { authorization: `token ${sim.tokens.find((t) => t.role === 'admin')!.token}`, 'x-version': '2' },
      })
    ).json()) as Array<{ id: string; error_id: string }>;
    for (const src of sources) {
      const row = await until(
        `the event row in ${src.destination.split(':')[0]}`,
        async () => (await rows(src.destination, 'events')).find((r) => r.id === event!.id),
        WITHIN_MS,
      );
      const lag = Date.now() - reported;
      expect(lag, `${src.destination.split(':')[0]}: ${lag} ms`).toBeLessThanOrEqual(WITHIN_MS);
      expect(row).toMatchObject({ project_id: project.id, error_id: event!.error_id });
      const errors = await rows(src.destination, 'errors');
      expect(errors.find((e) => e.id === event!.error_id)).toMatchObject({
        project_id: project.id,
        error_class: 'CheckoutFailed',
        status: 'open',
      });
    }
    expect(sources).toHaveLength(withPostgres ? 2 : 1);
  });
});
