// The stream catalog and the pieces a stream is declared with.
export * from './types.js';
export * from './catalog.js';
export { WindowState, WindowPass, RefreshState, CommentsState } from './state.js';
export { SORTED_ERRORS_LIMIT } from './errors.js';
