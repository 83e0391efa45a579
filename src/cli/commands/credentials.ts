import { Option, type Command } from 'commander';
import { SnagError } from '../../core/errors.js';
import { registerSecret } from '../../core/redact.js';
// The credential type declares the options of add and update, so it is loaded with the command; the service, the
// Bugsnag client and the store only when an action runs (`credentials --help` stays light).
import { bugsnagCredentialType } from '../../credentials/bugsnag-type.js';
import type { CredentialService, InputMode } from '../../credentials/index.js';
import { TOKEN_HELP } from '../../credentials/input.js';
import { passedTestJson } from '../../credentials/view.js';
import type { CliContext, CommandGroup } from '../context.js';
import { notice, printJson, printLine, type Io } from '../output.js';
import { promptHidden, promptVisible, readAll, type TtyInput } from '../prompt.js';
import { withRuntime } from '../runtime.js';
import { credentialDetails, credentialTable } from './credentials-format.js';
import { namingOptions } from '../option-errors.js';

/**
 * `snagsync credentials …`: add, list, show, test, update, remove, rotate-key. The field options of `add` and
 * `update` are generated from the credential type, as the web form and the API validation are. Tokens come in
 * through stdin, an environment variable or a hidden prompt — never argv, which ends up in shell history and `ps`.
 */

interface FieldFlags {
  name?: string;
  description?: string;
  host?: string;
  /** Only present when someone tried `--token VALUE`: refused. */
  token?: string | boolean;
  tokenStdin?: boolean;
  tokenEnv?: string;
  verify: boolean;
  json?: boolean;
}

const TYPE = bugsnagCredentialType;
const SECRET = TYPE.fields.find((f) => f.secret)!;

export const registerCredentials: CommandGroup = (ctx) => {
  const group = ctx.command;

  const add = group
    .command('add')
    .description('add a credential: verify the token against the Data Access API, then store it encrypted')
    .addHelpText('after', `\n${TYPE.secretHelp.map((l) => `  ${l}`).join('\n')}\n`);
  fieldOptions(add, 'create');
  add
    .option('--no-verify', 'save without checking the token (status UNVERIFIED; check later with `credentials test`)')
    .option('--json', 'print the saved credential as JSON')
    .action(async function (this: Command) {
      await runAdd(ctx, this.opts<FieldFlags>());
    });

  group
    .command('list')
    .description('list credentials: name, description, host, token (last four), status, organizations, sources')
    .option('--json', 'print a JSON array')
    .action(async function (this: Command) {
      const flags = this.opts<{ json?: boolean }>();
      await withService(ctx.io, async (service) => {
        const views = await service.listCredentials();
        if (flags.json) return printJson(ctx.io, views);
        if (views.length === 0)
          return notice(ctx.io, 'No credentials yet. Add one: snagsync credentials add --name NAME');
        printLine(ctx.io, credentialTable(views));
      });
    });

  group
    .command('show')
    .description('show one credential (never its token: only the last four characters)')
    .argument('<name-or-id>', 'the credential name (any case) or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withService(ctx.io, async (service) => {
        const view = await service.getCredential(ref);
        if (flags.json) printJson(ctx.io, view);
        else printLine(ctx.io, `${view.name}\n${credentialDetails(view)}`);
      });
    });

  group
    .command('test')
    .description('check a stored credential again: status, organizations, latency, rate limit (the result is recorded)')
    .argument('<name-or-id>', 'the credential name (any case) or id')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ json?: boolean }>();
      await withService(ctx.io, async (service) => {
        const r = await service.testCredential(ref);
        if (!r.ok) {
          const c = r.credential;
          throw new SnagError(r.error.code, r.error.message, {
            ...(r.error.hint ? { hint: r.error.hint } : {}),
            ...(r.error.status !== undefined ? { status: r.error.status } : {}),
            details: {
              ...r.error.details,
              credential: { id: c.id, name: c.name, verified_status: c.verified_status, verified_at: c.verified_at },
            },
            cause: r.error,
          });
        }
        const v = r.verification;
        if (flags.json) printJson(ctx.io, passedTestJson(v, r.credential));
        else
          printLine(
            ctx.io,
            `${r.credential.name}: VERIFIED in ${v.latency_ms} ms\n${credentialDetails(r.credential, v)}`,
          );
      });
    });

  const update = group
    .command('update')
    .description(
      'change name, description, host or token; a new token (or host) is verified before it replaces the old one',
    )
    .argument('<name-or-id>', 'the credential name (any case) or id');
  fieldOptions(update, 'update');
  update
    .option('--no-verify', 'replace the token or host without checking (status UNVERIFIED)')
    .option('--json', 'print the updated credential as JSON')
    .action(async function (this: Command, ref: string) {
      await runUpdate(ctx, ref, this.opts<FieldFlags>());
    });

  group
    .command('remove')
    .description('remove a credential; refused while a source uses it, unless --force (which disables those sources)')
    .argument('<name-or-id>', 'the credential name (any case) or id')
    .option('--force', 'remove it even though sources use it, and disable those sources')
    .option('--json', 'print JSON')
    .action(async function (this: Command, ref: string) {
      const flags = this.opts<{ force?: boolean; json?: boolean }>();
      await withService(ctx.io, async (service) => {
        const r = await service.removeCredential(ref, { force: flags.force === true });
        if (flags.json) return printJson(ctx.io, r);
        printLine(ctx.io, `Removed credential "${r.removed.name}" (${r.removed.id}).`);
        if (r.disabled_sources.length > 0) {
          printLine(
            ctx.io,
            `Disabled ${r.disabled_sources.length} source(s) that used it: ${r.disabled_sources.map((s) => `"${s.name}"`).join(', ')}.`,
          );
        }
      });
    });

  group
    .command('rotate-key')
    .description('re-encrypt every stored token under a new master key, atomically')
    .option(
      '--new-key-file <path>',
      `where to write the new key when it comes from SNAGSYNC_MASTER_KEY (mode 0600; must not exist)`,
    )
    .option('--json', 'print JSON')
    .action(async function (this: Command) {
      const flags = this.opts<{ newKeyFile?: string; json?: boolean }>();
      await withService(ctx.io, async (service) => {
        const r = await service.rotateKey(flags.newKeyFile ? { newKeyFile: flags.newKeyFile } : {});
        if (flags.json) return printJson(ctx.io, r);
        const was = r.previousKeyIds.length ? ` (was ${r.previousKeyIds.join(', ')})` : '';
        printLine(ctx.io, `Re-encrypted ${r.resealed} token(s) under the new master key ${r.newKeyId}${was}.`);
        if (r.webhookSecretsResealed > 0)
          printLine(ctx.io, `Re-encrypted ${r.webhookSecretsResealed} webhook secret(s); their URLs are unchanged.`);
        if (r.webhookSecretsUnreadable.length > 0)
          notice(
            ctx.io,
            `Left ${r.webhookSecretsUnreadable.length} webhook secret(s) as they were: sealed with a key this machine does not have, so their URLs cannot be shown (webhooks still arrive). Rotate them to get new URLs: snagsync sources webhook SOURCE --rotate (${r.webhookSecretsUnreadable.join(', ')}).`,
          );
        if (r.keyFile) printLine(ctx.io, `Key file: ${r.keyFile}`);
        if (r.nextStep) notice(ctx.io, `Next: ${r.nextStep}`);
      });
    });
};

/** `--name <text>`, `--description <text>`, `--host <url>`, and for the secret `--token-stdin` / `--token-env VAR`. */
function fieldOptions(cmd: Command, mode: InputMode): void {
  for (const f of TYPE.fields) {
    if (f.secret) {
      cmd.option(
        `--${f.name}-stdin`,
        `read the ${f.label} from standard input (piped; on a terminal you are prompted, hidden)`,
      );
      cmd.option(`--${f.name}-env <VAR>`, `read the ${f.label} from the environment variable VAR`);
      // Declared so that it can be refused with an explanation rather than "unknown option".
      cmd.addOption(new Option(`--${f.name} [value]`).hideHelp());
      continue;
    }
    const required = mode === 'create' && f.required ? ' (required)' : '';
    const dflt = mode === 'create' && f.default ? ` Default: ${f.default}.` : '';
    cmd.option(`--${f.name} <${f.input === 'url' ? 'url' : 'text'}>`, `${f.label}${required}. ${f.help}${dflt}`);
  }
}

async function runAdd(ctx: CliContext, flags: FieldFlags): Promise<void> {
  const { io } = ctx;
  refuseTokenArgument(flags);
  const interactive = io.stdin.isTTY === true;
  let name = flags.name;
  if (name === undefined) {
    if (!interactive) {
      throw new SnagError('usage', '--name is required: give the credential a name (1–100 characters, unique).', {
        hint: 'e.g. snagsync credentials add --name "Bugsnag production" --token-stdin < token.txt',
      });
    }
    name = await promptVisible(`${TYPE.fields[0]!.label}: `, io.stdin, io.stderr);
  }
  const token = await readToken(io, flags, true);
  await withService(io, async (service) => {
    if (flags.verify && io.stderr.isTTY) notice(io, 'Checking the token with Bugsnag…');
    const r = await service
      .createCredential(
        {
          name,
          ...(flags.description !== undefined ? { description: flags.description } : {}),
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          token: token!,
        },
        { verify: flags.verify },
      )
      .catch((err: unknown) => {
        throw forCli(err);
      });
    for (const note of r.notes) notice(io, note);
    if (!flags.verify)
      notice(io, `Saved without checking. Check it with: snagsync credentials test "${r.credential.name}"`);
    if (flags.json) return printJson(io, r.credential);
    printLine(
      io,
      `Saved credential "${r.credential.name}": ${r.credential.verified_status}\n${credentialDetails(r.credential, r.verification)}`,
    );
  });
}

async function runUpdate(ctx: CliContext, ref: string, flags: FieldFlags): Promise<void> {
  const { io } = ctx;
  refuseTokenArgument(flags);
  const token = await readToken(io, flags, false);
  await withService(io, async (service) => {
    const r = await service
      .updateCredential(
        ref,
        {
          ...(flags.name !== undefined ? { name: flags.name } : {}),
          ...(flags.description !== undefined ? { description: flags.description } : {}),
          ...(flags.host !== undefined ? { host: flags.host } : {}),
          ...(token !== undefined ? { token } : {}),
        },
        { verify: flags.verify },
      )
      .catch((err: unknown) => {
        throw forCli(err);
      });
    for (const note of r.notes) notice(io, note);
    if (r.changed.length === 0) notice(io, 'Nothing changed: the values given are the current ones.');
    if (flags.json) return printJson(io, r.credential);
    const what = r.changed.length ? `updated (${r.changed.join(', ')})` : 'unchanged';
    printLine(
      io,
      `Credential "${r.credential.name}" ${what}: ${r.credential.verified_status}\n${credentialDetails(r.credential, r.verification)}`,
    );
  });
}

function refuseTokenArgument(flags: FieldFlags): void {
  if (flags.token === undefined) return;
  if (typeof flags.token === 'string') registerSecret(flags.token);
  throw new SnagError(
    'usage',
    `--${SECRET.name} is not accepted: a token on the command line is saved in your shell history and visible to every user of this machine in \`ps\`.`,
    {
      hint:
        `Use --${SECRET.name}-stdin (e.g. \`snagsync credentials add --name NAME --${SECRET.name}-stdin < token.txt\`), ` +
        `--${SECRET.name}-env VAR, or leave both out in a terminal to be prompted with hidden input. ` +
        'If you already typed the token on a command line, consider generating a new one in Bugsnag.',
    },
  );
}

/** The token from --token-stdin, --token-env or a hidden prompt; registered as a secret the moment it is read. */
async function readToken(io: Io, flags: FieldFlags, required: boolean): Promise<string | undefined> {
  const opt = `--${SECRET.name}`;
  if (flags.tokenStdin && flags.tokenEnv !== undefined) {
    throw new SnagError('usage', `Give the token one way: ${opt}-stdin or ${opt}-env, not both.`);
  }
  let value: string | undefined;
  if (flags.tokenEnv !== undefined) {
    value = io.env[flags.tokenEnv];
    if (value === undefined || value.trim() === '') {
      throw new SnagError(
        'usage',
        `The environment variable ${flags.tokenEnv} is not set or is empty (${opt}-env ${flags.tokenEnv}).`,
        {
          hint: `Export the token in it first, or use ${opt}-stdin.`,
        },
      );
    }
  } else if (flags.tokenStdin) {
    value = io.stdin.isTTY ? await askHidden(io) : await readAll(io.stdin);
  } else if (required) {
    if (!io.stdin.isTTY) {
      throw new SnagError(
        'usage',
        `No token given: use ${opt}-stdin (piped) or ${opt}-env VAR, or run in a terminal to be prompted.`,
        {
          hint: `There is no ${opt} VALUE option, on purpose: command lines end up in shell history and in \`ps\`.`,
        },
      );
    }
    value = await askHidden(io);
  }
  registerSecret(value);
  return value;
}

async function askHidden(io: Io): Promise<string> {
  notice(io, TOKEN_HELP);
  return promptHidden(`${SECRET.label} (hidden): `, io.stdin as TtyInput, io.stderr);
}

/** The credentials service over the snagsync home, for one command. */
async function withService(io: Io, fn: (service: CredentialService) => Promise<void>): Promise<void> {
  const [{ createCredentialService }, { clientOptionsFromEnv }] = await Promise.all([
    import('../../credentials/index.js'),
    import('../../engine/client.js'),
  ]);
  return withRuntime(io, (rt) =>
    fn(
      createCredentialService({
        store: rt.store,
        vault: rt.vault,
        home: rt.home,
        env: rt.env,
        // A check counts requests in the same window as syncs (SNAGSYNC_RATE_WINDOW_MS), and names it.
        verify: windowOf(clientOptionsFromEnv(rt.env).rateWindowMs),
      }),
    ),
  );
}

/** Input errors name the option they came from; the token has none (stdin, env or prompt), so it goes by its label. */
function forCli(err: unknown): unknown {
  return namingOptions(
    err,
    (field) => (field === SECRET.name ? null : field),
    (field) => (field === SECRET.name ? SECRET.label : field),
  );
}

function windowOf(ms: number | undefined): { rateWindowMs?: number } {
  return ms === undefined ? {} : { rateWindowMs: ms };
}
