import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { createToken } from '../../store/team/tokens.js';
import { TOKEN_SCOPES, type TokenScope } from '../../store/users.js';
import type { CommandGroup } from '../context.js';
import { invalidOption } from '../options.js';
import { printJson, printLine, table } from '../output.js';
import { withRuntime } from '../runtime.js';
import { printOnce } from './users.js';

/** `snagsync tokens create|list|revoke`: per-user API tokens for `serve`'s HTTP API (`Authorization: Bearer …`). */
export const registerTokens: CommandGroup = ({ command: group, io }) => {
  group
    .command('create')
    .description('create an API token for a user; prints it once (only its hash is kept)')
    .requiredOption('--user <user>', 'the email or id of the user it acts for')
    .option(
      '--scope <scope>',
      `${TOKEN_SCOPES.join(', ')}: the most it may do, never more than the user's role`,
      'read',
    )
    .option('--expires <lifetime>', 'a lifetime such as 30d, 12h or 90m (default: none)')
    .option('--json', 'print {"token": …} and the token\'s record')
    .action(async function (this: Command) {
      const flags = this.opts<{ user: string; scope: string; expires?: string; json?: boolean }>();
      if (!(TOKEN_SCOPES as readonly string[]).includes(flags.scope)) {
        invalidOption('scope', flags.scope, `must be one of ${TOKEN_SCOPES.join(', ')}`);
      }
      await withRuntime(io, async (rt) => {
        const { token, record } = await createToken(
          rt.store,
          {
            user: flags.user,
            scope: flags.scope as TokenScope,
            ...(flags.expires !== undefined ? { expires: flags.expires } : {}),
          },
          Date.now(),
        );
        if (flags.json) return printOnce(io, JSON.stringify({ token, ...record }));
        printLine(
          io,
          `Token ${record.id} (${record.scope}${record.expires_at ? `, until ${record.expires_at}` : ''}):`,
        );
        printOnce(io, token);
      });
    });

  group
    .command('list')
    .description('list API tokens (never the tokens themselves)')
    .option('--user <user>', 'only the tokens of this user (email or id)')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ user?: string; json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const users = new Map((await rt.store.users.list()).map((u) => [u.id, u.email]));
        const only = flags.user ? (await rt.store.users.find(flags.user)).id : undefined;
        const tokens = await rt.store.users.listTokens(only);
        if (flags.json) return printJson(io, tokens);
        printLine(
          io,
          table(
            tokens.map((t) => ({
              id: t.id,
              user: users.get(t.user_id) ?? t.user_id,
              scope: t.scope,
              created: t.created_at,
              expires: t.expires_at ?? '-',
              revoked: t.revoked_at ?? '',
            })),
            ['id', 'user', 'scope', 'created', 'expires', 'revoked'],
          ),
        );
      });
    });

  group
    .command('revoke')
    .description('revoke an API token: refused at once by every server on this store')
    .argument('<token-id>', 'the token id (tok_…), from `snagsync tokens list`')
    .action(async (id: string) => {
      await withRuntime(io, async (rt) => {
        if (!(await rt.store.users.revokeToken(id, new Date().toISOString()))) {
          throw new SnagError('missing', `No API token with the id "${id}".`, {
            hint: '`snagsync tokens list` shows them.',
          });
        }
        printLine(io, `Revoked ${id}.`);
      });
    });
};
