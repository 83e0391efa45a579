import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { Simulator } from '../../src/sim/index.js';
import { createSource, nextRunAfter, parseSchedule, runDue, updateSource } from '../../src/engine/index.js';
import { makeHome, startSim, type Home } from './helpers.js';

/** Cron schedules (croner): what is read, what is refused (naming the field), when a source falls due. */
let sim: Simulator;
let h: Home;
let cred: string;

beforeAll(async () => {
  sim = await startSim({ orgs: 1, projects: 1, errors: 5, events: 10, releases: 1 });
  h = await makeHome(sim);
  cred = await h.credential('admin');
});

afterAll(async () => {
  await h.cleanup();
  await sim.close();
});

const at = (iso: string) => new Date(iso);
const next = (schedule: string, iso: string) => nextRunAfter(schedule, at(iso)).toISOString();

describe('cron schedules', () => {
  it('read five fields, in UTC unless CRON_TZ names a timezone', () => {
    expect(parseSchedule('*/5  * * * *')).toMatchObject({
      text: '*/5 * * * *',
      cron: { pattern: '*/5 * * * *', timezone: 'UTC' },
    });
    expect(next('*/5 * * * *', '2026-03-01T10:02:30Z')).toBe('2026-03-01T10:05:00.000Z');
    // Exactly on a boundary: the next one, not the same minute again.
    expect(next('*/5 * * * *', '2026-03-01T10:05:00Z')).toBe('2026-03-01T10:10:00.000Z');
    // Weekdays at 06:00: Friday evening → Monday morning.
    expect(next('0 6 * * MON-FRI', '2026-03-06T18:00:00Z')).toBe('2026-03-09T06:00:00.000Z');
    expect(next('30 2 1 * *', '2026-01-15T00:00:00Z')).toBe('2026-02-01T02:30:00.000Z');
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    const berlin = 'CRON_TZ=Europe/Berlin 0 9 * * *';
    expect(parseSchedule(berlin).text).toBe(berlin);
    expect(next(berlin, '2026-01-10T12:00:00Z')).toBe('2026-01-11T08:00:00.000Z');
    expect(next(berlin, '2026-07-10T12:00:00Z')).toBe('2026-07-11T07:00:00.000Z');
    // The presets are not taken for cron.
    expect(parseSchedule('every 15m')).toEqual({ text: 'every 15m', intervalMs: 900_000 });
    expect(parseSchedule('1 h').text).toBe('every 1h');
  });

  it.each([
    ['61 * * * *', /minute field .*"61".* 0-59/],
    ['0 24 * * *', /hour field .*"24".* 0-23/],
    ['0 0 32 * *', /day of month field .*"32"/],
    ['0 0 1 13 *', /month field .*"13"/],
    ['0 0 * * 8', /day of week field .*"8"/],
    ['0 0 * * * *', /6 cron fields; snagsync reads exactly five/],
    ['* * * *', /4 cron fields/],
    ['0 0 31 2 *', /never falls due/],
    ['CRON_TZ=Mars/Olympus 0 9 * * *', /"Mars\/Olympus" in CRON_TZ is not a timezone/],
  ])('refuse %s, naming what is wrong', (schedule, message) => {
    expect(() => parseSchedule(schedule)).toThrow(message);
    try {
      parseSchedule(schedule);
    } catch (err) {
      expect(err).toMatchObject({ code: 'config', details: { field: 'schedule' } });
      expect((err as { hint?: string }).hint ?? '').toMatch(/five fields|IANA timezone|day of month/);
    }
  });

  it('a source saved with a cron schedule falls due at the pattern time, and run-due runs it then', async () => {
    const { source } = await createSource(
      h.runtime,
      {
        name: 'cron-src',
        credential: cred,
        streams: ['organizations'],
        schedule: '*/5 * * * *',
        destination: `sqlite:${join(h.home, 'cron.db')}`,
      },
      { now: at('2026-03-01T10:02:30Z') },
    );
    // Not "at once" as a preset would: at the pattern's next time.
    expect(source.next_run_at).toBe('2026-03-01T10:05:00.000Z');
    const mine = (results: Awaited<ReturnType<typeof runDue>>) => results.filter((r) => r.source_id === source.id);
    expect(mine(await runDue(h.runtime, { now: at('2026-03-01T10:04:59Z') }))).toEqual([]);
    expect(mine(await runDue(h.runtime, { now: at('2026-03-01T10:05:00Z') }))).toEqual([
      expect.objectContaining({ status: 'succeeded' }),
    ]);
    // After the run, the next slot is the pattern's next time after the run ended.
    const after = await h.runtime.store.sources.get(source.id);
    const nextAt = Date.parse(after!.next_run_at!);
    expect(nextAt).toBeGreaterThan(Date.now() - 1000);
    expect(nextAt % 300_000).toBe(0);

    const { source: changed } = await updateSource(
      h.runtime,
      source.id,
      { schedule: 'CRON_TZ=America/New_York 0 7 * * *' },
      { now: at('2026-03-01T10:02:30Z') },
    );
    expect(changed.next_run_at).toBe('2026-03-01T12:00:00.000Z');
  });

  it('a bad cron schedule is refused at save, naming the field', async () => {
    await expect(
      createSource(h.runtime, {
        name: 'cron-bad',
        credential: cred,
        streams: ['organizations'],
        schedule: '0 25 * * *',
      }),
    ).rejects.toMatchObject({
      code: 'config',
      details: { field: 'schedule' },
      message: expect.stringMatching(/hour field/),
    });
  });
});
