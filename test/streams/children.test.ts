import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createBugsnagClient } from '../../src/bugsnag/index.js';
import { linkChildren } from '../../src/streams/children.js';
import {
  defineChildStream,
  defineStream,
  type Batch,
  type ChildContext,
  type ReadContext,
  type StreamRecord,
} from '../../src/streams/types.js';

/**
 * How the catalog wires a child stream into its parent: the parent's declaration names no child, yet each of its
 * pages arrives with the child's records and checkpoint when (and only when) the run reads the child.
 */
const columns = [
  { name: 'project_id', type: 'text' },
  { name: 'id', type: 'text' },
] as const;
const base = {
  description: 'x',
  endpoint: 'x',
  schema: z.object({ project_id: z.string(), id: z.string() }),
  primaryKey: ['project_id', 'id'],
  columns,
  heavy: false,
} as const;

const parent = defineStream({
  ...base,
  name: 'parents',
  partition: 'project',
  syncModes: ['full_refresh'],
  async *read() {
    yield {
      records: [
        { project_id: 'p', id: 'a' },
        { project_id: 'p', id: 'b' },
      ],
      state: { page: 1 },
    };
    yield { records: [{ project_id: 'p', id: 'c' }], state: { page: 2 } };
  },
});

const seen: string[][] = [];
const child = defineChildStream({
  ...base,
  name: 'kids',
  partition: 'project',
  syncModes: ['full_refresh'],
  parent: 'parents',
  readThrough: (ctx) => {
    let count = (ctx.state as { count?: number } | null)?.count ?? 0;
    return async (records: StreamRecord[]) => {
      seen.push(records.map((r) => String(r.id)));
      if (records.length === 1) return null;
      count += records.length;
      return { records: records.map((r) => ({ project_id: 'p', id: `kid-of-${String(r.id)}` })), state: { count } };
    };
  },
});

function ctx(children: Map<string, ChildContext>): ReadContext {
  const api = createBugsnagClient({ token: 'unused', host: 'http://127.0.0.1:9', logger: false });
  return {
    api,
    partition: { kind: 'global', key: '' },
    options: {
      startDate: null,
      filters: {},
      fullReports: false,
      lookbackMs: 0,
      errorsFullPassMs: 0,
      releasesFullPassMs: 0,
      trendsResolution: '12h',
      trendsDays: 1,
    },
    state: null,
    now: new Date(),
    signal: new AbortController().signal,
    warn: () => undefined,
    children,
  };
}

async function all(it: AsyncIterable<Batch>): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('linkChildren', () => {
  it("hands each parent page to the child enabled in the run, with the child's own checkpoint", async () => {
    const [linked] = linkChildren([parent, child]);
    seen.length = 0;
    const api = createBugsnagClient({ token: 'unused', host: 'http://127.0.0.1:9', logger: false });
    const batches = await all(linked!.read(ctx(new Map([['kids', { state: { count: 10 }, api }]]))));
    expect(seen).toEqual([['a', 'b'], ['c']]);
    expect(batches.map((b) => b.state)).toEqual([{ page: 1 }, { page: 2 }]);
    expect(batches[0]!.children).toEqual([
      {
        stream: 'kids',
        records: [
          { project_id: 'p', id: 'kid-of-a' },
          { project_id: 'p', id: 'kid-of-b' },
        ],
        state: { count: 12 },
      },
    ]);
    expect(batches[1]!.children).toBeUndefined();
  });

  it('reads no child the run does not read, and leaves parents without children as they are', async () => {
    const [linked, kids] = linkChildren([parent, child]);
    seen.length = 0;
    const batches = await all(linked!.read(ctx(new Map())));
    expect(seen).toEqual([]);
    expect(batches.every((b) => b.children === undefined)).toBe(true);
    expect(kids).toBe(child);
    expect(linkChildren([parent])[0]).toBe(parent);
  });

  it('refuses a child of a child, and a child read per another partition kind than its parent', () => {
    const grandchild = defineChildStream({
      ...base,
      name: 'grandkids',
      partition: 'project',
      syncModes: ['full_refresh'],
      parent: 'kids',
      readThrough: child.readThrough!,
    });
    expect(() => linkChildren([parent, child, grandchild])).toThrow(/cannot have children/);
    const orgKid = defineChildStream({
      ...base,
      name: 'org_kids',
      partition: 'organization',
      syncModes: ['full_refresh'],
      parent: 'parents',
      readThrough: child.readThrough!,
    });
    expect(() => linkChildren([parent, orgKid])).toThrow(/read per organization, its parent parents per project/);
    expect(() =>
      defineStream({
        ...base,
        name: 'half',
        partition: 'project',
        syncModes: ['full_refresh'],
        parent: 'parents',
        read: parent.read,
      }),
    ).toThrow(/parent and readThrough/);
  });
});
