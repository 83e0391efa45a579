// The job queue port and its two implementations (see port.ts).
export type { EnqueueJob, GroupSettle, JobQueue, Json, LiveWorker, TakenJob, WorkerInfo } from './port.js';
export { memoryQueue, type MemoryQueueOptions } from './memory.js';
export { postgresQueue, type PostgresQueueOptions } from './postgres.js';
export { graphileQueue, type GraphileQueueOptions } from './graphile.js';
