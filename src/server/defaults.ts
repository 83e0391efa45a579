/**
 * Where `snagsync serve` listens unless told otherwise. A module of its own, with no imports, so that the CLI can
 * show them in `serve --help` without loading the server.
 */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8080;
