import bugsnagNode from '@bugsnag/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/sim/index.js';
import { ANCHOR, api, start } from './helpers.js';

/**
 * A notifier nobody here wrote: `@bugsnag/node` with its endpoints pointed at the simulator reports an Error, and the
 * simulator groups it and lists it like any other event. Its error detection is off so it leaves vitest's process
 * handlers alone; the notify callback says when Bugsnag's delivery has been answered.
 */
type Row = Record<string, unknown>;

// A CommonJS package typed as an ES default export: under NodeNext the default import is module.exports, whose
// `default` property (set by the package for ESM callers) is the notifier.
const Bugsnag = bugsnagNode.default;

let sim: Simulator;
let project: string;
let apiKey: string;

beforeAll(async () => {
  sim = await start({ seed: 5, anchor: ANCHOR, events: 200, errors: 10 });
  const p = sim.info().organizations[0]!.projects[0]!;
  project = p.id;
  apiKey = p.api_key;
});
afterAll(() => sim.close());

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

function chargeCard(amount: number): never {
  throw new PaymentDeclined(`card declined for ${amount}`);
}

describe('@bugsnag/node reporting to the simulator', () => {
  it('an Error notified by the real client becomes an event and an error, grouped by its in-project frame', async () => {
    const client = Bugsnag.createClient({
      apiKey,
      endpoints: { notify: `${sim.url}/notify`, sessions: `${sim.url}/sessions` },
      autoTrackSessions: false,
      autoDetectErrors: false,
      releaseStage: 'production',
      appVersion: '3.1.4',
      projectRoot: process.cwd(),
      logger: null,
    });
    const report = (amount: number) =>
      new Promise<void>((resolve, reject) => {
        try {
          chargeCard(amount);
        } catch (err) {
          client.notify(err as Error, undefined, (e: unknown) => (e ? reject(e) : resolve()));
        }
      });

    await report(42);
    const [event] = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=1`)).body;
    expect((event!.exceptions as Row[])[0]).toMatchObject({
      errorClass: 'PaymentDeclined',
      message: 'card declined for 42',
    });
    const error = (await api(sim).get<Row>(`/projects/${project}/errors/${event!.error_id}`)).body;
    expect(error).toMatchObject({ error_class: 'PaymentDeclined', status: 'open', severity: 'warning' });
    expect(error.release_stages).toEqual(['production']);
    // The top in-project frame is this test file's throwing function.
    const full = (await api(sim).get<Row>(`/projects/${project}/events/${event!.id}`)).body;
    const top = ((full.exceptions as Row[])[0]!.stacktrace as Row[])[0]!;
    expect(String(top.file)).toContain('notify-bugsnag-node.test.ts');
    expect(String(top.method)).toContain('chargeCard');

    // The same throw site again (another message): the same error, now with two events.
    await report(7);
    const [second] = (await api(sim).get<Row[]>(`/projects/${project}/events?per_page=1`)).body;
    expect(second!.error_id).toBe(event!.error_id);
    const after = (await api(sim).get<Row>(`/projects/${project}/errors/${event!.error_id}`)).body;
    expect(after.unthrottled_occurrence_count).toBe(2);
    expect(sim.notifyStats()).toMatchObject({ payloads: 2, events: 2, errors_created: 1 });
  });
});
