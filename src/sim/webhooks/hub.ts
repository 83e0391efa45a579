import { z } from 'zod';
import type { SimChange, SimState } from '../state.js';
import { loopbackUrl, postJson, type InFlightPost } from './deliver.js';
import {
  isPowerTen,
  projectPayload,
  TRIGGER_TYPES,
  webhookPayload,
  type ProjectTriggerFacts,
  type TriggerFacts,
  type TriggerType,
} from './payload.js';

/**
 * Webhooks like Bugsnag's Webhook integration: targets configured through `/__sim/webhooks`, fired by what happens
 * to the data at run time (SimState's change feed). Deliveries go out asynchronously, one at a time and in order per
 * target; a failed attempt (non-2xx, connection error, timeout) is retried after backoff_ms, then twice that, … up to
 * max_attempts, after which the delivery is counted failed and the next one goes. `drop` loses a share of deliveries
 * before they are sent, deterministically (exactly ⌊n·drop⌋ of the first n), so a test can show that polling
 * reconciles what webhooks missed.
 *
 * Triggers that depend on rates are the target's own settings, as in Bugsnag's integration:
 * - `errorEventFrequency` fires when an error's events within the last `event_frequency.minutes` reach
 *   `event_frequency.events` (default 10 in 60 minutes); it then rests for that error until a whole window has passed
 *   since it fired, so a steady flood fires it once per window.
 * - `projectSpiking` fires when the project's events in the last minute reach `spike.min_per_minute` (default 20)
 *   and are at least `spike.factor` (default 5) times its average per minute over the `spike.baseline_minutes`
 *   (default 60) before that minute; it fires once per spike: again only after an event finds the rate back below.
 * Both count the events the simulator receives at run time (the event times it stamps), from the moment the target
 * is configured; generated history is not counted.
 */
export const WebhookConfig = z.object({
  url: z.string().min(1),
  project_id: z.string().optional(),
  triggers: z.array(z.enum(TRIGGER_TYPES as [TriggerType, ...TriggerType[]])).min(1),
  drop: z.number().min(0).max(1).default(0),
  max_attempts: z.number().int().min(1).max(20).default(5),
  backoff_ms: z.number().int().min(1).max(600_000).default(1000),
  event_frequency: z
    .object({
      events: z.number().int().min(1).max(1_000_000).default(10),
      minutes: z.number().int().min(1).max(10_080).default(60),
    })
    .prefault({}),
  spike: z
    .object({
      factor: z.number().min(1).max(1000).default(5),
      min_per_minute: z.number().int().min(1).max(1_000_000).default(20),
      baseline_minutes: z.number().int().min(1).max(1440).default(60),
    })
    .prefault({}),
});
export type WebhookConfig = z.input<typeof WebhookConfig>;

export class WebhookConfigError extends Error {}

export interface WebhookCounts {
  /** Deliveries the target's triggers asked for (dropped ones included). */
  offered: number;
  delivered: number;
  /** Given up after max_attempts. */
  failed: number;
  /** Attempts that failed and were tried again. */
  retried: number;
  dropped: number;
  attempts: number;
  pending: number;
}

export interface WebhookTarget {
  id: string;
  url: string;
  project_id: string | null;
  triggers: TriggerType[];
  drop: number;
  max_attempts: number;
  backoff_ms: number;
  event_frequency: { events: number; minutes: number };
  spike: { factor: number; min_per_minute: number; baseline_minutes: number };
  counts: WebhookCounts;
  last_error: string | null;
}

interface Delivery {
  body: string;
  attempts: number;
}

interface Target {
  view: WebhookTarget;
  url: URL;
  projectGi: number | null;
  triggers: Set<TriggerType>;
  queue: Delivery[];
  busy: boolean;
  timer: NodeJS.Timeout | null;
  post: InFlightPost | null;
  removed: boolean;
  /** errorEventFrequency: per project and error, the event seconds within the window and when it last fired. */
  frequency: Map<string, { secs: number[]; firedSec: number | null }>;
  /** projectSpiking: per project, event seconds within the baseline and the last minute, and whether it is armed. */
  spikes: Map<number, { secs: Seconds; armed: boolean }>;
}

export class WebhookHub {
  private readonly targets = new Map<string, Target>();
  private nextId = 1;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly state: SimState,
    private readonly origin: () => string,
  ) {
    state.onChange((c) => this.onChange(c));
  }

  add(config: unknown): WebhookTarget {
    const c = WebhookConfig.parse(config);
    const url = loopbackUrl(c.url);
    if (!url)
      throw new WebhookConfigError(
        `webhook url ${c.url} refused: only http URLs on loopback (127.0.0.1, [::1], localhost) are accepted, so the simulator sends nothing off this machine`,
      );
    let projectGi: number | null = null;
    if (c.project_id !== undefined) {
      const d = this.state.world.ids.decodeAs('project', c.project_id);
      if (!d || d.index >= this.state.world.projects.length)
        throw new WebhookConfigError(`unknown project ${c.project_id}`);
      projectGi = d.index;
    }
    const id = `wh_${this.nextId++}`;
    const view: WebhookTarget = {
      id,
      url: url.toString(),
      project_id: c.project_id ?? null,
      triggers: [...new Set(c.triggers)],
      drop: c.drop,
      max_attempts: c.max_attempts,
      backoff_ms: c.backoff_ms,
      event_frequency: c.event_frequency,
      spike: c.spike,
      counts: { offered: 0, delivered: 0, failed: 0, retried: 0, dropped: 0, attempts: 0, pending: 0 },
      last_error: null,
    };
    this.targets.set(id, {
      view,
      url,
      projectGi,
      triggers: new Set(c.triggers),
      queue: [],
      busy: false,
      timer: null,
      post: null,
      removed: false,
      frequency: new Map(),
      spikes: new Map(),
    });
    return this.snapshot(this.targets.get(id)!);
  }

  list(): WebhookTarget[] {
    return [...this.targets.values()].map((t) => this.snapshot(t));
  }

  /** Stop a target: pending deliveries are abandoned (not counted failed). False when there is no such target. */
  remove(id: string): boolean {
    const t = this.targets.get(id);
    if (!t) return false;
    this.targets.delete(id);
    t.removed = true;
    if (t.timer) clearTimeout(t.timer);
    t.post?.abort();
    t.queue.length = 0;
    t.busy = false;
    this.checkIdle();
    return true;
  }

  removeAll(): void {
    for (const id of [...this.targets.keys()]) this.remove(id);
  }

  /** Resolves once no delivery is queued, being sent or waiting to be retried (at once when none is). */
  idle(): Promise<void> {
    return this.isIdle() ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }

  private isIdle(): boolean {
    for (const t of this.targets.values()) if (t.busy || t.queue.length > 0) return false;
    return true;
  }

  private checkIdle(): void {
    if (this.waiters.length > 0 && this.isIdle()) for (const w of this.waiters.splice(0)) w();
  }

  private snapshot(t: Target): WebhookTarget {
    return {
      ...t.view,
      triggers: [...t.view.triggers],
      event_frequency: { ...t.view.event_frequency },
      spike: { ...t.view.spike },
      counts: { ...t.view.counts, pending: t.queue.length },
    };
  }

  // ---- firing -----------------------------------------------------------------------------------------------------

  private onChange(c: SimChange): void {
    if (this.targets.size === 0) return;
    const facts: TriggerFacts[] = [];
    let event: number | null = null;
    switch (c.kind) {
      case 'event':
        event = c.event;
        if (c.occurrence === 1) facts.push({ type: 'firstException', occurrence: 1 });
        if (c.reopened) facts.push({ type: 'reopened', reopening: c.reopened });
        if (isPowerTen(c.occurrence)) facts.push({ type: 'powerTen', occurrence: c.occurrence });
        facts.push({ type: 'exception', occurrence: c.occurrence });
        break;
      case 'status': {
        const rule = this.state.project(c.gi).peekState(c.error).reopenRules;
        facts.push({ type: 'errorStateManualChange', from: c.from, to: c.to, rule });
        break;
      }
      case 'comment':
        facts.push({ type: 'comment', comment: c.comment, user: c.user });
        break;
      case 'release': {
        const release = this.state.project(c.gi).releases.releases[c.release]!;
        this.fireProject(c.gi, { type: 'release', release });
        return;
      }
    }
    for (const f of facts) {
      const wanting = [...this.targets.values()].filter(
        (t) => t.triggers.has(f.type) && (t.projectGi === null || t.projectGi === c.gi),
      );
      if (wanting.length === 0) continue;
      // Built once, when something wants it: the payload is the state at the moment of the change, as Bugsnag's is.
      const body = JSON.stringify(webhookPayload(this.state.project(c.gi), this.origin(), c.error, event, f));
      for (const t of wanting) this.offer(t, body);
    }
    if (c.kind === 'event') this.fireRates(c.gi, c.error, this.state.project(c.gi).timeOf(c.event), c.event);
  }

  private wanting(type: TriggerType, gi: number): Target[] {
    return [...this.targets.values()].filter(
      (t) => t.triggers.has(type) && (t.projectGi === null || t.projectGi === gi),
    );
  }

  private fireProject(gi: number, f: ProjectTriggerFacts): void {
    const wanting = this.wanting(f.type, gi);
    if (wanting.length === 0) return;
    const body = JSON.stringify(projectPayload(this.state.project(gi), this.origin(), f));
    for (const t of wanting) this.offer(t, body);
  }

  /** The rate triggers, per target: each has its own window and thresholds. */
  private fireRates(gi: number, error: number, sec: number, event: number): void {
    for (const t of this.wanting('errorEventFrequency', gi)) {
      const { events, minutes } = t.view.event_frequency;
      const key = `${gi}:${error}`;
      let f = t.frequency.get(key);
      if (!f) t.frequency.set(key, (f = { secs: [], firedSec: null }));
      f.secs.push(sec);
      while (f.secs.length > 0 && f.secs[0]! <= sec - minutes * 60) f.secs.shift();
      if (f.secs.length > events) f.secs.splice(0, f.secs.length - events);
      const resting = f.firedSec !== null && sec < f.firedSec + minutes * 60;
      if (f.secs.length >= events && !resting) {
        f.firedSec = sec;
        const facts: TriggerFacts = { type: 'errorEventFrequency', events, minutes };
        this.offer(t, JSON.stringify(webhookPayload(this.state.project(gi), this.origin(), error, event, facts)));
      }
    }
    for (const t of this.wanting('projectSpiking', gi)) {
      const { factor, min_per_minute, baseline_minutes } = t.view.spike;
      let s = t.spikes.get(gi);
      if (!s) t.spikes.set(gi, (s = { secs: new Seconds(), armed: true }));
      s.secs.push(sec);
      s.secs.dropUpTo(sec - 60 - baseline_minutes * 60);
      const recent = s.secs.countAfter(sec - 60);
      const before = s.secs.size - recent;
      const spiking = recent >= min_per_minute && recent >= (factor * before) / baseline_minutes;
      if (!spiking) s.armed = true;
      else if (s.armed) {
        s.armed = false;
        const body = JSON.stringify(
          projectPayload(this.state.project(gi), this.origin(), { type: 'projectSpiking', rate: recent }),
        );
        this.offer(t, body);
      }
    }
  }

  private offer(t: Target, body: string): void {
    const n = t.view.counts.offered++;
    if (Math.floor((n + 1) * t.view.drop) > Math.floor(n * t.view.drop)) {
      t.view.counts.dropped++;
      return;
    }
    t.queue.push({ body, attempts: 0 });
    this.pump(t);
  }

  private pump(t: Target): void {
    if (t.busy || t.removed) return;
    const d = t.queue[0];
    if (!d) {
      this.checkIdle();
      return;
    }
    t.busy = true;
    this.attempt(t, d);
  }

  private attempt(t: Target, d: Delivery): void {
    d.attempts++;
    t.view.counts.attempts++;
    const post = postJson(t.url, d.body);
    t.post = post;
    void post.done.then((r) => {
      if (t.removed) return;
      t.post = null;
      if (r.ok || d.attempts >= t.view.max_attempts) {
        if (r.ok) t.view.counts.delivered++;
        else {
          t.view.counts.failed++;
          t.view.last_error = r.error;
        }
        t.queue.shift();
        t.busy = false;
        this.pump(t);
        return;
      }
      t.view.counts.retried++;
      t.view.last_error = r.error;
      t.timer = setTimeout(
        () => {
          t.timer = null;
          if (!t.removed) this.attempt(t, d);
        },
        t.view.backoff_ms * 2 ** (d.attempts - 1),
      );
    });
  }
}

/** Non-decreasing event seconds (the clock rule stamps run-time events in order), trimmed from the front. */
class Seconds {
  private secs: number[] = [];
  private start = 0;

  get size(): number {
    return this.secs.length - this.start;
  }

  push(sec: number): void {
    this.secs.push(sec);
  }

  dropUpTo(limit: number): void {
    while (this.start < this.secs.length && this.secs[this.start]! <= limit) this.start++;
    if (this.start > 1024 && this.start * 2 > this.secs.length) {
      this.secs = this.secs.slice(this.start);
      this.start = 0;
    }
  }

  /** How many are later than `limit` (binary search). */
  countAfter(limit: number): number {
    let lo = this.start;
    let hi = this.secs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.secs[mid]! <= limit) lo = mid + 1;
      else hi = mid;
    }
    return this.secs.length - lo;
  }
}
