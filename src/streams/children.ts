import type { Batch, ChildBatch, ChildReader, ReadContext, StreamDefinition } from './types.js';

/**
 * Child streams (comments of errors) declare their parent; this wires them in. Each parent whose children are
 * declared gets a read that, for every page of its own, asks each child enabled in the run (`ctx.children`) for its
 * records and checkpoint, and hands them over with the page — the engine commits them before the page itself, so a
 * kill in between re-reads the parent's page and finds the children already up to date.
 */
export function linkChildren(streams: readonly StreamDefinition[]): StreamDefinition[] {
  return streams.map((s) => {
    const kids = streams.filter((c) => c.parent === s.name);
    if (kids.length === 0) return s;
    if (s.parent !== undefined) throw new Error(`stream ${s.name}: a child stream cannot have children of its own`);
    for (const k of kids) {
      if (k.partition !== s.partition)
        throw new Error(`stream ${k.name}: read per ${k.partition}, its parent ${s.name} per ${s.partition}`);
    }
    return Object.freeze({ ...s, read: (ctx: ReadContext) => readWithChildren(s, kids, ctx) });
  });
}

async function* readWithChildren(
  parent: StreamDefinition,
  kids: readonly StreamDefinition[],
  ctx: ReadContext,
): AsyncGenerator<Batch> {
  const readers: Array<{ stream: string; read: ChildReader }> = [];
  for (const k of kids) {
    const child = ctx.children.get(k.name);
    if (!child || !k.readThrough) continue;
    // The child's own client and checkpoint; it reads no children of its own.
    const childCtx: ReadContext = { ...ctx, api: child.api, state: child.state, children: new Map() };
    readers.push({ stream: k.name, read: k.readThrough(childCtx) });
  }
  for await (const batch of parent.read(ctx)) {
    if (readers.length === 0) {
      yield batch;
      continue;
    }
    const children: ChildBatch[] = [...(batch.children ?? [])];
    for (const r of readers) {
      const got = await r.read(batch.records);
      if (got) children.push({ stream: r.stream, ...got });
    }
    yield children.length > 0 ? { ...batch, children } : batch;
  }
}
