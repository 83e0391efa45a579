// The sync engine's public face: runs, their progress events, previews, sources and schedules.
export { startRun, activeRun, activeRuns, type StartRunOptions, type RunHandle } from './run.js';
export { inProcessExecutor, type RunExecutor, type ExecutorStartOptions } from './executor.js';
export { processExecutor, runPid, type ProcessExecutorOptions } from './process-executor.js';
export {
  RunEvents,
  type RunEvent,
  type RunEventBody,
  type RunEventListener,
  type RunSummary,
  type RunTotalsJson,
  type StreamSummary,
  type RunWarning,
  type FinalStatus,
  type ErrorJson,
} from './events.js';
export {
  estimateFirstSyncOf,
  previewStream,
  type FirstSyncEstimate,
  type PreviewOptions,
  type PreviewResult,
  type PreviewTarget,
} from './preview.js';
export {
  createSource,
  updateSource,
  removeSource,
  sourceDraft,
  describeSource,
  SourceInputSchema,
  type SourceInput,
  type SourceResult,
  type SourceServiceOptions,
} from './sources.js';
export { parseSchedule, nextRunAfter, isNoSchedule, type Schedule } from './schedule.js';
export {
  runDue,
  startScheduler,
  type DueResult,
  type RunDueOptions,
  type SchedulerOptions,
  type SchedulerHandle,
} from './scheduler.js';
export { clientOptionsFromEnv, type EngineClientOptions } from './client.js';
export { selectStreams, parseFilterArgs } from './config.js';
export {
  resolveSyncOptions,
  effectiveOptions,
  optionDefault,
  SourceConfigSchema,
  SOURCE_CONFIG_SHAPE,
  SOURCE_CONFIG_KEYS,
  TUNING_KEYS,
  SourceDestinationSchema,
  SourceScheduleSchema,
  problemsOf,
  problemsError,
  judged,
  sourceInputProblems,
  type Problem,
} from './source-config.js';
export { exitCodeOf } from './exit.js';
// The stream catalog (what a source can read), for the CLI's `streams` and the server's wizard.
export {
  STREAMS,
  STREAM_NAMES,
  DEFAULT_STREAMS,
  catalog,
  catalogEntry,
  findStream,
  descriptorOf,
  jsonSchemaOf,
  type CatalogEntry,
} from '../streams/catalog.js';
export type { StreamDefinition, PartitionKind, SyncMode } from '../streams/types.js';
// What startRun and friends take: the snagsync home, store and vault, opened once per process.
export { openRuntime, type Runtime, type RuntimeOptions } from '../runtime.js';
// The error a cancelled run's partition in flight ends with (the web UI says "cancelled" for it, not "failed").
export { cancelledError } from './failures.js';
