import { z } from 'zod';
import type { SimChange, SimState } from '../state.js';
import { loopbackUrl, postJson, type InFlightPost } from './deliver.js';
import { isPowerTen, TRIGGER_TYPES, webhookPayload, type TriggerFacts, type TriggerType } from './payload.js';

/**
 * Webhooks like Bugsnag's Webhook integration: targets configured through `/__sim/webhooks`, fired by what happens
 * to the data at run time (SimState's change feed). Deliveries go out asynchronously, one at a time and in order per
 * target; a failed attempt (non-2xx, connection error, timeout) is retried after backoff_ms, then twice that, … up to
 * max_attempts, after which the delivery is counted failed and the next one goes. `drop` loses a share of deliveries
 * before they are sent, deterministically (exactly ⌊n·drop⌋ of the first n), so a test can show that polling
 * reconciles what webhooks missed.
 */
export const WebhookConfig = z.object({
  url: z.string().min(1),
  project_id: z.string().optional(),
  triggers: z.array(z.enum(TRIGGER_TYPES as [TriggerType, ...TriggerType[]])).min(1),
  drop: z.number().min(0).max(1).default(0),
  max_attempts: z.number().int().min(1).max(20).default(5),
  backoff_ms: z.number().int().min(1).max(600_000).default(1000),
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
    return { ...t.view, triggers: [...t.view.triggers], counts: { ...t.view.counts, pending: t.queue.length } };
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
