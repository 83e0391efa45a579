import bugsnagNode from '@bugsnag/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { tempDir } from '../store/helpers.js';
import { testServer, type TestServer } from './helpers.js';
import { startSim } from './sources-helpers.js';
import { rows, until, webhookSource } from './webhooks-helpers.js';

/**
 * The simulator's release and rate triggers posted to a real `serve`: a new release becomes the release's row, a
 * spike a `webhook_events` row, and an error passing its event frequency the error's and the event's rows
 * (docs/webhooks.md, "What each trigger writes").
 */

// A CommonJS package typed as an ES default export (see test/sim/notify-bugsnag-node.test.ts).
const Bugsnag = bugsnagNode.default;

let sim: Simulator;
let s: TestServer;
let base: string;
let data: { dir: string; cleanup: () => void };
let project: string;

beforeAll(async () => {
  sim = await startSim({ projects: 1, errors: 3, events: 20 });
  s = await testServer();
  await s.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(s.app.server.address() as { port: number }).port}`;
  data = tempDir('snagsync-webhook-triggers-');
  project = sim.info().organizations[0]!.projects[0]!.id;
});
afterAll(async () => {
  await s.cleanup();
  await sim.close();
  data.cleanup();
});

describe("the simulator's release and rate triggers into serve", () => {
  it('release, projectSpiking and errorEventFrequency messages are applied', async () => {
    const src = await webhookSource(s.runtime, data.dir, {
      projects: [project],
      streams: ['errors', 'events', 'releases'],
    });
    sim.webhooks.add({
      url: `${base}${src.path}`,
      project_id: project,
      triggers: ['release', 'projectSpiking', 'errorEventFrequency'],
      event_frequency: { events: 3, minutes: 60 },
      spike: { min_per_minute: 3, factor: 5 },
    });
    const release = sim.addRelease({ projectId: project, version: '7.0.0', builderName: 'ci-bot' });
    const [error] = sim.addErrors({ projectId: project, count: 1, eventsPerError: 1 });
    const events = sim.addEvents({ errorId: error!.id, count: 2 });
    await sim.idle();

    const releases = await until('the release row', async () => {
      const r = await rows(src.destination, 'releases');
      return r.length > 0 ? r : null;
    });
    expect(releases).toEqual([
      expect.objectContaining({ id: release.id, project_id: project, app_version: '7.0.0', builder_name: 'ci-bot' }),
    ]);
    expect(Date.parse(String(releases[0]!.release_time))).toBe(Date.parse(String(release.release_time)));

    const spikes = await until('the projectSpiking row', async () => {
      const r = await rows(src.destination, 'webhook_events');
      return r.length > 0 ? r : null;
    });
    expect(spikes).toEqual([
      expect.objectContaining({ project_id: project, trigger: 'projectSpiking', message: 'Project spiking' }),
    ]);

    // The third event of the error reached the frequency: its message writes the error and that event.
    const eventRows = await until('the event row', async () => {
      const r = await rows(src.destination, 'events');
      return r.length > 0 ? r : null;
    });
    expect(eventRows.map((e) => e.id)).toEqual([events[1]!.id]);
    expect((await rows(src.destination, 'errors')).map((e) => e.id)).toEqual([error!.id]);
    const counts = await s.runtime.store.webhooks.counts(src.sourceId, 5);
    expect(counts).toMatchObject({ received: 3, failed: 0 });
  });

  it('a real @bugsnag/node app reporting a new appVersion makes a release, and its row', async () => {
    const src = await webhookSource(s.runtime, data.dir, { projects: [project], streams: ['releases'] });
    sim.webhooks.add({ url: `${base}${src.path}`, project_id: project, triggers: ['release'] });
    const client = Bugsnag.createClient({
      apiKey: sim.info().organizations[0]!.projects[0]!.api_key,
      endpoints: { notify: `${sim.url}/notify`, sessions: `${sim.url}/sessions` },
      autoTrackSessions: false,
      autoDetectErrors: false,
      releaseStage: 'production',
      appVersion: '8.2.0',
      logger: null,
    });
    await new Promise<void>((resolve, reject) =>
      client.notify(new Error('deploy check'), undefined, (e: unknown) => (e ? reject(e) : resolve())),
    );
    await sim.idle();
    const releases = await until('the release row', async () => {
      const r = await rows(src.destination, 'releases');
      return r.length > 0 ? r : null;
    });
    expect(releases).toEqual([
      expect.objectContaining({ project_id: project, app_version: '8.2.0', release_stage: { name: 'production' } }),
    ]);
  });
});
