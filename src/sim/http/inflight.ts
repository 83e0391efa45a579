/**
 * Requests being handled right now. A client killed in the middle of a request leaves its write to be applied after
 * it died (the simulator reads the whole request before a fault delay, as a real server does); `idle()` is how a test
 * waits for that write to land before it looks, instead of polling.
 */
export class InFlight {
  private count = 0;
  private waiters: Array<() => void> = [];

  enter(): void {
    this.count++;
  }

  leave(): void {
    this.count--;
    if (this.count === 0) for (const w of this.waiters.splice(0)) w();
  }

  get size(): number {
    return this.count;
  }

  /** Resolves once no request is being handled (at once when none is). */
  idle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
