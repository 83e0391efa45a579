import type { DestinationRecord, StreamDescriptor } from '../../src/destinations/index.js';

/** An events-like stream: composite key (project_id, id), typed columns, nested and odd-shaped fields. */
export const EVENTS: StreamDescriptor = {
  name: 'events',
  primaryKey: ['project_id', 'id'],
  columns: [
    { name: 'project_id', type: 'text' },
    { name: 'id', type: 'text' },
    { name: 'received_at', type: 'timestamp' },
    { name: 'unhandled', type: 'boolean' },
    { name: 'severity', type: 'text' },
    { name: 'release_stage', type: 'text', path: ['app', 'releaseStage'] },
    { name: 'error_count', type: 'integer' },
    { name: 'tags', type: 'json' },
  ],
};

export const PAGE_SIZE = 50;

/** The records of page `p` of a deterministic feed: ids are unique across pages, spread over three projects. */
export function pageRecords(p: number, size = PAGE_SIZE, version = 1): DestinationRecord[] {
  return Array.from({ length: size }, (_, i) => {
    const n = p * size + i;
    return {
      id: `ev${String(n).padStart(7, '0')}`,
      project_id: `proj${n % 3}`,
      received_at: `2024-05-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00+00:00`,
      unhandled: n % 2 === 0,
      severity: n % 5 === 0 ? 'error' : 'warning',
      app: { releaseStage: n % 2 ? 'production' : 'staging', version: `1.${n % 10}` },
      error_count: n,
      tags: ['a', { n }],
      version,
      message: `Sample é 中文 message ${n} ${'x'.repeat(n % 40)}`,
    };
  });
}
