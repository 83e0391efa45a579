import type { Command } from 'commander';
import { registerSecret } from '../core/redact.js';
// The URL module only (core imports), not the store: the option is declared for every command, --help included.
import { DATABASE_URL_ENV } from '../store/postgres/url.js';
import type { Io } from './output.js';

/**
 * The global `--database-url`: it only sets SNAGSYNC_DATABASE_URL for this process (and what it starts), so every
 * command opens the store the same way whichever of the two the user chose.
 */
export function addDatabaseUrlOption(program: Command, io: Io): void {
  program
    .option(
      '--database-url <url>',
      `keep credentials, sources and runs in PostgreSQL (postgres://user@host:5432/db[?schema=snagsync]) instead of the SQLite file in the home; same as ${DATABASE_URL_ENV}, which is better when the URL holds a password (other users can see a command line)`,
    )
    .hook('preAction', (root) => {
      const url = root.opts<{ databaseUrl?: string }>().databaseUrl;
      if (url === undefined) return;
      // The whole URL counts as a secret too: a password-less URL is harmless, one with a password must not leak.
      const password = /^[a-z]+:\/\/[^/:@\s]*:([^@/\s]+)@/i.exec(url)?.[1];
      if (password) {
        registerSecret(password);
        try {
          registerSecret(decodeURIComponent(password));
        } catch {
          // A stray % is not percent-encoding: the raw form is registered, and the store says what is wrong.
        }
      }
      io.env[DATABASE_URL_ENV] = url;
    });
}
