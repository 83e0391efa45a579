import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/**
 * The simulator's release and rate triggers: `release` (a notified event naming a new app version, or a release made
 * through `POST /__sim/releases`), `errorEventFrequency` (an error passing the target's events-in-a-window setting)
 * and `projectSpiking` (a project's events in the last minute far above its average), as docs/simulator.md describes.
 */
type Row = Record<string, unknown>;

interface Receiver {
  url: string;
  bodies: Row[];
  close(): Promise<void>;
}

async function receiver(): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [], close: async () => {} };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Row);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return r;
}

let sim: Simulator;
let project: string;
let apiKey: string;
const receivers: Receiver[] = [];

beforeAll(async () => {
  sim = await start({ seed: 93, anchor: ANCHOR, events: 200, errors: 10, releases: 3 });
  const p = sim.info().organizations[0]!.projects[0]!;
  project = p.id;
  apiKey = p.api_key;
});
afterEach(async () => {
  sim.webhooks.removeAll();
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});
afterAll(() => sim.close());

async function target(config: Row): Promise<Receiver> {
  const rx = await receiver();
  receivers.push(rx);
  sim.webhooks.add({ url: rx.url, project_id: project, ...config });
  return rx;
}

async function notify(app: Row) {
  const r = await fetch(`${sim.url}/notify`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'Bugsnag-Api-Key': apiKey, 'Bugsnag-Payload-Version': '4' },
    body: JSON.stringify({
      payloadVersion: '4',
      notifier: { name: 'test', version: '1', url: 'https://example.test' },
      events: [
        {
          exceptions: [
            {
              errorClass: 'ReleaseError',
              message: 'x',
              stacktrace: [{ file: 'a.js', method: 'run', inProject: true }],
            },
          ],
          app,
        },
      ],
    }),
  });
  expect(r.status).toBe(200);
}

const types = (rx: Receiver) => rx.bodies.map((b) => (b.trigger as Row).type);

describe('release trigger', () => {
  it('a notified event naming a new app version makes a release (listed by the API) and sends it; the same version again does not', async () => {
    const rx = await target({ triggers: ['release'] });
    await notify({ releaseStage: 'production', version: '9.1.0', versionCode: 91 });
    await notify({ releaseStage: 'production', version: '9.1.0' });
    await notify({ releaseStage: 'production' });
    await sim.idle();
    expect(types(rx)).toEqual(['release']);
    const body = rx.bodies[0]!;
    expect(Object.keys(body).sort()).toEqual(['account', 'project', 'release', 'trigger']);
    expect(body.trigger).toEqual({ type: 'release', message: 'New release' });
    const release = body.release as Row;
    expect(release).toMatchObject({ version: '9.1.0', versionCode: '91', releaseStage: 'production' });
    const listed = (await api(sim).get<Row[]>(`/projects/${project}/releases?per_page=10`)).body;
    expect(listed[0]).toMatchObject({
      id: release.id,
      app_version: '9.1.0',
      app_version_code: '91',
      release_source: 'event',
      release_stage: { name: 'production' },
    });
    expect(Date.parse(String(listed[0]!.release_time))).toBe(Date.parse(String(release.releaseTime)));
    expect(sim.notifyStats().releases_created).toBe(1);
  });

  it('POST /__sim/releases makes a release like the Build API and sends it', async () => {
    const rx = await target({ triggers: ['release'] });
    const r = await fetch(`${sim.url}/__sim/releases`, {
      method: 'POST',
      body: JSON.stringify({ project_id: project, version: '9.2.0', builder_name: 'ci-bot' }),
    });
    expect(r.status).toBe(200);
    const made = ((await r.json()) as { release: Row }).release;
    expect(made).toMatchObject({ app_version: '9.2.0', builder_name: 'ci-bot', release_source: 'api' });
    await sim.idle();
    expect(rx.bodies.map((b) => b.release)).toEqual([
      expect.objectContaining({ id: made.id, version: '9.2.0', releasedBy: 'ci-bot' }),
    ]);
    const bad = await fetch(`${sim.url}/__sim/releases`, {
      method: 'POST',
      body: JSON.stringify({ project_id: project }),
    });
    expect(bad.status).toBe(400);
  });
});

describe('rate triggers', () => {
  it('errorEventFrequency fires once when an error reaches its events in the window, with the event that reached it', async () => {
    const rx = await target({ triggers: ['errorEventFrequency'], event_frequency: { events: 3, minutes: 60 } });
    const [first, second] = sim.addErrors({ projectId: project, count: 2, eventsPerError: 1 });
    const more = sim.addEvents({ errorId: first!.id, count: 4 });
    sim.addEvents({ errorId: second!.id, count: 1 });
    await sim.idle();
    expect(types(rx)).toEqual(['errorEventFrequency']);
    const body = rx.bodies[0]!;
    expect(body.trigger).toEqual({ type: 'errorEventFrequency', message: 'Occurred 3 times in 1 hour' });
    // The third event of the error (its first came with the error) is the one that reached 3.
    expect(body.error).toMatchObject({ errorId: first!.id, id: more[1]!.id });
  });

  it('projectSpiking fires once when the last minute reaches the threshold, and not again while the spike lasts', async () => {
    const rx = await target({ triggers: ['projectSpiking'], spike: { min_per_minute: 5, factor: 5 } });
    sim.addEvents({ projectId: project, count: 4 });
    await sim.idle();
    expect(rx.bodies).toEqual([]);
    sim.addEvents({ projectId: project, count: 1 });
    sim.addEvents({ projectId: project, count: 10 });
    await sim.idle();
    expect(types(rx)).toEqual(['projectSpiking']);
    const body = rx.bodies[0]!;
    expect(Object.keys(body).sort()).toEqual(['account', 'project', 'trigger']);
    expect(body.trigger).toEqual({ type: 'projectSpiking', message: 'Project spiking', rate: 5 });
    expect(body.project).toMatchObject({ id: project });
  });

  it('a target lists its rate settings, defaults included', async () => {
    await target({ triggers: ['projectSpiking', 'errorEventFrequency'] });
    expect(sim.webhooks.list()[0]).toMatchObject({
      event_frequency: { events: 10, minutes: 60 },
      spike: { factor: 5, min_per_minute: 20, baseline_minutes: 60 },
    });
  });
});
