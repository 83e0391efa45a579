// `snagsync/engine`: snagsync from code — open a home (store and vault), manage credentials and sources, run and
// preview syncs, run schedules, read the stream catalog, open destinations. What the CLI and the server are built on.
export { openRuntime, type Runtime, type RuntimeOptions } from './runtime.js';
export {
  startRun,
  activeRun,
  activeRuns,
  RunEvents,
  previewStream,
  createSource,
  updateSource,
  removeSource,
  describeSource,
  parseSchedule,
  runDue,
  startScheduler,
  exitCodeOf,
  STREAMS,
  STREAM_NAMES,
  DEFAULT_STREAMS,
  catalog,
  catalogEntry,
  findStream,
  jsonSchemaOf,
  type StartRunOptions,
  type RunHandle,
  type RunEvent,
  type RunEventBody,
  type RunEventListener,
  type RunSummary,
  type RunTotalsJson,
  type StreamSummary,
  type RunWarning,
  type FinalStatus,
  type ErrorJson,
  type PreviewOptions,
  type PreviewResult,
  type SourceInput,
  type SourceResult,
  type Schedule,
  type DueResult,
  type RunDueOptions,
  type SchedulerOptions,
  type SchedulerHandle,
  type CatalogEntry,
  type StreamDefinition,
  type PartitionKind,
  type SyncMode,
} from './engine/index.js';
export {
  createCredentialService,
  CredentialService,
  bugsnagCredentialType,
  bugsnagInputSchema,
  TOKEN_HELP,
  type CredentialServiceOptions,
  type CredentialInput,
  type SaveOptions,
  type SaveResult,
  type UpdateResult,
  type ProbeResult,
  type RemoveResult,
  type RotateKeyOptions,
  type CredentialType,
  type CredentialField,
  type CredentialView,
  type Verification,
} from './credentials/index.js';
export { createVault, Vault, MASTER_KEY_ENV, type VaultOptions } from './credentials/vault.js';
export { openStore, resolveHome, HOME_ENV, type OpenStoreOptions } from './store/index.js';
export type { Store, CredentialRepository, SourceRepository, RunRepository } from './store/repository.js';
export type { Credential, Source, SourceConfig, Run, RunStream, RunStatus, RunTrigger } from './store/models.js';
export {
  openDestination,
  parseDestinationUrl,
  type OpenDestinationOptions,
  type DestinationTarget,
} from './destinations/index.js';
export type { Destination, DestinationKind } from './destinations/types.js';
export { SnagError, isSnagError, EXIT_CODES, type ErrorCode } from './core/errors.js';
export { createLogger, setLogger, type Logger, type LogLevel } from './core/log.js';
export { VERSION } from './core/version.js';
