/**
 * Reads one item ahead: while the caller commits batch N (a synchronous SQLite transaction, or file writes), the
 * request for batch N+1 is already on the wire. Order is unchanged and nothing is committed early — the engine
 * still commits batch N before it even looks at N+1 — so checkpoints mean exactly what they did.
 */
export async function* prefetch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<T>> | undefined = it.next();
  try {
    for (;;) {
      const r: IteratorResult<T> = await pending!;
      pending = undefined;
      if (r.done) return;
      pending = it.next();
      // Its failure is reported when the caller asks for the next item, not as an unhandled rejection now.
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (pending) {
      // The caller stopped early (done, failed or cancelled). Waiting here for the read ahead could mean waiting out
      // a rate-limit window before the caller may report its own failure, so the source is closed once it settles.
      const p = pending;
      void p
        .then(
          (r) => (r.done ? undefined : it.return?.(undefined)),
          () => undefined,
        )
        .catch(() => undefined);
    }
  }
}
