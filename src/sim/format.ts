/**
 * The API writes timestamps in several shapes depending on the resource (docs/bugsnag-api.md §15); each view uses the one the
 * recordings show for it.
 */

/** Events, errors, orgs: `2017-12-12T10:58:55.000Z` (events always whole seconds). */
export const isoMs = (ms: number): string => new Date(ms).toISOString();
export const isoSecMs = (sec: number): string => new Date(sec * 1000).toISOString();

/** Trend buckets, `base` and cursors in links: `2017-12-12T10:58:49Z`. */
export const isoZ = (sec: number): string => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Releases: `2021-07-08T14:26:55+00:00`. */
export const isoOffset = (sec: number): string => new Date(sec * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
