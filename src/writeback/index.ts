// Write-back: apply error workflow changes decided in the user's own data back to Bugsnag, in bulk, safely.
export { OPERATIONS, OPERATION_NAMES, type OperationDecl, type OperationName } from './operations.js';
export { readInput, parseCsv, parseJsonl, type RawRow } from './input.js';
export { checkRows, inputHash, type RowProblem, type WritebackRow } from './check.js';
export { BULK_BATCH, planWriteback, type PlannedGroup, type WritebackPlan } from './plan.js';
export { applyWriteback, type RowReport, type WritebackReport } from './apply.js';
export { historyChanges, type WritebackHistoryReport } from './history.js';
export { prepareWriteback, planView, type WritebackSession } from './session.js';
