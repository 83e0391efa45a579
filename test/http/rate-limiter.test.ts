import { describe, expect, it } from 'vitest';
import type { ClientEvent } from '../../src/http/events.js';
import { RateLimiter, sharedRateLimiter, tokenKey } from '../../src/http/rate-limiter.js';
import { fakeClock, testToken } from './helpers/scripted.js';

const headers = (limit: number | undefined, remaining: number | undefined) => {
  const h = new Headers();
  if (limit !== undefined) h.set('X-Ratelimit-Limit', String(limit));
  if (remaining !== undefined) h.set('X-RATELIMIT-REMAINING', String(remaining));
  return h;
};

/** One request through the limiter: acquire, answer with the given figures, release. */
async function request(limiter: RateLimiter, events: ClientEvent[], limit?: number, remaining?: number) {
  const ticket = await limiter.acquire(undefined, (e) => events.push(e));
  limiter.observe(ticket, headers(limit, remaining));
  ticket.release();
  return ticket;
}

describe('per-token rate limiter', () => {
  it('hands its learned budget to a limiter in another process, which waits as the first would have', async () => {
    const clock = fakeClock();
    const t0 = clock.now();
    const first = new RateLimiter({ clock, windowMs: 60_000 });
    await request(first, [], 2, 1);
    await request(first, [], 2, 0);
    const budget = JSON.parse(JSON.stringify(first.budget())) as ReturnType<RateLimiter['budget']>;
    expect(budget).toEqual({ limit: 2, remaining: 0, windowStart: t0 });
    // Another worker's limiter for the same token, which has sent nothing yet: without the budget it would send at once.
    const second = new RateLimiter({ clock, windowMs: 60_000 });
    second.adopt(budget);
    const events: ClientEvent[] = [];
    const ticket = await request(second, events, 2, 1);
    expect(clock.sleeps).toEqual([61_000]);
    expect(ticket.sentAt).toBe(t0 + 61_000);
    expect(events[0]).toMatchObject({ type: 'rate-limit-wait', reason: 'limit-reached' });
  });

  it('waits for the window to roll over before it would exceed the learned limit', async () => {
    const clock = fakeClock();
    const t0 = clock.now();
    const limiter = new RateLimiter({ clock, windowMs: 60_000 });
    const events: ClientEvent[] = [];
    await request(limiter, events, 3, 2); // first of the window: the window starts at t0
    clock.advance(1_000);
    await request(limiter, events, 3, 1);
    clock.advance(1_000);
    await request(limiter, events, 3, 0);
    expect(clock.sleeps).toEqual([]);
    clock.advance(1_000);
    const fourth = await request(limiter, events, 3, 2);
    // Window start + 60 s + 1 s safety margin, measured from t0 + 3 s.
    expect(clock.sleeps).toEqual([58_000]);
    expect(events.filter((e) => e.type === 'rate-limit-wait')).toEqual([
      { type: 'rate-limit-wait', ms: 58_000, reason: 'limit-reached', limit: 3, remaining: 0 },
    ]);
    expect(fourth.sentAt).toBe(t0 + 61_000);
  });

  it('starts the window at the answer that opened it, not at its sending: a slow answer never makes it roll early', async () => {
    const clock = fakeClock();
    const t0 = clock.now();
    const limiter = new RateLimiter({ clock, windowMs: 5_000 });
    const events: ClientEvent[] = [];
    // The first request takes 700 ms to be answered (a loaded machine): the server opened its window at most then.
    const first = await limiter.acquire(undefined, (e) => events.push(e));
    clock.advance(700);
    limiter.observe(first, headers(2, 1));
    first.release();
    await request(limiter, events, 2, 0);
    const third = await request(limiter, events, 2, 1);
    // Answer time + 5 s + the 100 ms margin; from the send time it would have been t0 + 5,100 ms, inside the
    // server's window (a 429).
    expect(third.sentAt).toBe(t0 + 700 + 5_100);
  });

  it('counts its own requests even before any figure comes back', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, windowMs: 60_000, maxInFlight: 5 });
    const events: ClientEvent[] = [];
    await request(limiter, events, 2, 1);
    // Two requests in flight at once: the second spends the last allowed one, the third must wait.
    const a = await limiter.acquire(undefined, (e) => events.push(e));
    expect(limiter.state().remaining).toBe(0);
    const pending = limiter.acquire(undefined, (e) => events.push(e));
    const b = await pending;
    expect(clock.sleeps.length).toBe(1);
    a.release();
    b.release();
  });

  it('learns from header names in any case and ignores answers without figures', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock });
    const events: ClientEvent[] = [];
    await request(limiter, events, undefined, undefined);
    expect(limiter.state().remaining).toBeUndefined();
    const t = await limiter.acquire(undefined, () => undefined);
    const h = new Headers({ 'x-RateLimit-limit': '30', 'X-rAtElImIt-ReMaInInG': '12' });
    expect(limiter.observe(t, h)).toEqual({ limit: 30, remaining: 12 });
    t.release();
    expect(limiter.state()).toMatchObject({ limit: 30, remaining: 12 });
  });

  it('does not let a late answer to an older request overwrite a fresher figure', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 2 });
    const older = await limiter.acquire(undefined, () => undefined);
    const newer = await limiter.acquire(undefined, () => undefined);
    limiter.observe(newer, headers(30, 5));
    newer.release();
    // 5 left per the server, minus the older request still in flight (it may not have been counted yet).
    expect(limiter.state().remaining).toBe(4);
    limiter.observe(older, headers(30, 6));
    older.release();
    expect(limiter.state().remaining).toBe(4);
  });

  it('scales with a configurable window (the simulator shrinks it)', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, windowMs: 600 });
    const events: ClientEvent[] = [];
    await request(limiter, events, 1, 0);
    await request(limiter, events, 1, 0);
    expect(clock.sleeps).toEqual([612]); // 600 ms window + 2% margin
  });

  it('holds every request on the token after a 429 until Retry-After has passed', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock });
    const events: ClientEvent[] = [];
    limiter.block(clock.now() + 5_000);
    await request(limiter, events);
    expect(clock.sleeps).toEqual([5_000]);
    expect(events[0]).toMatchObject({ type: 'rate-limit-wait', ms: 5_000, reason: 'retry-after' });
  });

  it('caps requests in flight and wakes the next caller on release', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 1 });
    const first = await limiter.acquire(undefined, () => undefined);
    let second: Awaited<ReturnType<RateLimiter['acquire']>> | undefined;
    const pending = limiter.acquire(undefined, () => undefined).then((t) => (second = t));
    await Promise.resolve();
    expect(second).toBeUndefined();
    expect(limiter.state().inFlight).toBe(1);
    first.release();
    await pending;
    expect(second?.seq).toBe(2);
    second!.release();
    expect(limiter.state().inFlight).toBe(0);
  });

  it('gives up waiting when the caller aborts', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, maxInFlight: 1 });
    const held = await limiter.acquire(undefined, () => undefined);
    const ac = new AbortController();
    const pending = limiter.acquire(ac.signal, () => undefined);
    ac.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    held.release();
    // The aborted waiter left the queue: the slot is free for the next caller.
    const next = await limiter.acquire(undefined, () => undefined);
    expect(next.seq).toBe(2);
  });

  it('is shared by every client of one token (keyed by a hash), separate per token and origin', () => {
    const token = testToken();
    const a = sharedRateLimiter(token, 'https://api.bugsnag.com');
    const b = sharedRateLimiter(token, 'https://api.bugsnag.com', { windowMs: 1_000 });
    expect(a).toBe(b);
    expect(a.window).toBe(1_000);
    expect(sharedRateLimiter(testToken(), 'https://api.bugsnag.com')).not.toBe(a);
    expect(sharedRateLimiter(token, 'http://127.0.0.1:4010')).not.toBe(a);
    expect(tokenKey(token)).toMatch(/^[0-9a-f]{16}$/);
    expect(tokenKey(token)).not.toContain(token.slice(0, 6));
  });
});

describe('the window learned from 429s', () => {
  const tooMany = (seconds: number) => new Headers({ 'Retry-After': String(seconds) });
  const answer = async (limiter: RateLimiter, h: Headers, status = 200) => {
    const t = await limiter.acquire(undefined, () => undefined);
    limiter.observe(t, h, status);
    t.release();
  };

  it('is the time spent in the window plus Retry-After, only ever lengthened by a later 429, and at most a minute', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock });
    await answer(limiter, headers(2, 1));
    clock.advance(500);
    await answer(limiter, tooMany(2), 429);
    expect([limiter.windowSource, limiter.window]).toEqual(['learned', 2_500]);
    limiter.block(clock.now());
    // A shorter estimate (our window start was late) does not shorten it; a longer one lengthens it.
    await answer(limiter, headers(2, 1));
    await answer(limiter, tooMany(1), 429);
    expect(limiter.window).toBe(2_500);
    await answer(limiter, headers(2, 1));
    await answer(limiter, tooMany(4), 429);
    expect(limiter.window).toBe(4_000);
    await answer(limiter, headers(2, 1));
    await answer(limiter, tooMany(600), 429);
    expect(limiter.window).toBe(60_000);
  });

  it('a window given by the caller is kept whatever the server says', async () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ clock, windowMs: 5_000 });
    await answer(limiter, headers(2, 1));
    await answer(limiter, tooMany(1), 429);
    expect([limiter.windowSource, limiter.window]).toEqual(['configured', 5_000]);
  });
});
