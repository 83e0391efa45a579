import type { Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
import { checkPasswordRule, hashPassword } from '../../store/team/passwords.js';
import { INVITATION_PREFIX, newSecret, secretHash } from '../../store/team/secrets.js';
import { ROLES, type Role } from '../../store/users.js';
import type { CommandGroup } from '../context.js';
import { invalidOption } from '../options.js';
import { type Io, printJson, printLine, table } from '../output.js';
import { readAll } from '../prompt.js';
import { withRuntime } from '../runtime.js';

/** `snagsync users add|list|set-role|remove`: the people who use this snagsync, and their roles. */
export const registerUsers: CommandGroup = ({ command: group, io }) => {
  group
    .command('add')
    .description('add a user with a role; prints their one-time invitation secret (shown once, only its hash is kept)')
    .argument('<email>', 'their email address')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async function (this: Command, email: string) {
      const flags = this.opts<{ role: string; json?: boolean }>();
      const role = roleOption(flags.role);
      await withRuntime(io, async (rt) => {
        const invitation = newSecret(INVITATION_PREFIX);
        const user = await rt.store.users.add({ email, role, invitation_sha256: secretHash(invitation) });
        // Written as is: the output's redaction would hide the one secret this command exists to hand over.
        const path = `/invite/${invitation}`;
        if (flags.json) return printOnce(io, JSON.stringify({ ...user, invitation, invitation_path: path }));
        printLine(io, `Added ${user.email} as ${user.role}${user.owner ? ' (the owner)' : ''}.`);
        printOnce(io, `Invitation (shown once): ${invitation}`);
        printOnce(io, `They set their password, once, within 7 days, at the server's address followed by ${path}`);
      });
    });

  group
    .command('list')
    .description('list users and their roles')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const users = await rt.store.users.list();
        if (flags.json) return printJson(io, users);
        if (users.length === 0) return printLine(io, 'No users yet: `snagsync users add EMAIL --role admin` adds one.');
        printLine(
          io,
          table(
            users.map((u) => ({
              email: u.email,
              role: u.role,
              owner: u.owner ? 'yes' : '',
              id: u.id,
              added: u.created_at,
            })),
            ['email', 'role', 'owner', 'id', 'added'],
          ),
        );
      });
    });

  group
    .command('set-password')
    .description("set a user's password, read from standard input (never from the command line); ends their sessions")
    .argument('<user>', 'email or id')
    .option('--password-stdin', 'read the password from standard input (the whole input, one trailing newline removed)')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ passwordStdin?: boolean; json?: boolean }>();
      if (!flags.passwordStdin || io.stdin.isTTY) {
        throw new SnagError('usage', 'No password given: pipe it in with --password-stdin.', {
          hint: 'e.g. snagsync users set-password ada@example.com --password-stdin < password.txt. There is no --password VALUE option, on purpose: command lines end up in shell history and in `ps`.',
        });
      }
      const password = (await readAll(io.stdin)).replace(/\r?\n$/, '');
      registerSecret(password);
      checkPasswordRule(password);
      await withRuntime(io, async (rt) => {
        const user = await rt.store.users.find(ref);
        await rt.store.users.setPassword(user.id, await hashPassword(password));
        // A new password ends the old sessions (someone else may hold one) and any lock on the account.
        const ended = await rt.store.users.deleteUserSessions(user.id);
        await rt.store.users.clearSignInFailures(user.email);
        if (flags.json) return printJson(io, { user, sessions_ended: ended });
        printLine(io, `Set the password of ${user.email}; ended ${ended} session${ended === 1 ? '' : 's'}.`);
      });
    });

  group
    .command('set-role')
    .description("change a user's role (the last admin stays an admin)")
    .argument('<user>', 'email or id')
    .argument('<role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string, roleText: string) {
      const flags = this.opts<{ json?: boolean }>();
      const role = roleOption(roleText);
      await withRuntime(io, async (rt) => {
        const user = await rt.store.users.setRole((await rt.store.users.find(ref)).id, role);
        if (flags.json) return printJson(io, user);
        printLine(io, `${user.email} is now ${user.role}.`);
      });
    });

  group
    .command('remove')
    .description('remove a user and revoke their API tokens (not the last admin)')
    .argument('<user>', 'email or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withRuntime(io, async (rt) => {
        const user = await rt.store.users.find(ref);
        await rt.store.users.remove(user.id);
        if (flags.json) return printJson(io, { removed: user });
        printLine(io, `Removed ${user.email} and their API tokens.`);
      });
    });
};

function roleOption(text: string): Role {
  if ((ROLES as readonly string[]).includes(text)) return text as Role;
  return invalidOption('role', text, `must be one of ${ROLES.join(', ')}`);
}

/** A secret shown once, to stdout only, bypassing redaction on purpose. */
export function printOnce(io: Io, text: string): void {
  io.stdout.write(`${text}\n`);
}
