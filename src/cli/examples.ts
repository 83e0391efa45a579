import type { Command } from 'commander';

/**
 * The Examples section of each command's help, by command path. Every command that runs something has one; a test
 * (test/cli/help-examples.test.ts) checks that none is missing and that each example names its own command.
 */
export const EXAMPLES: Record<string, string[]> = {
  demo: ['snagsync demo', 'snagsync demo --serve            # then open the printed URL'],
  sim: [
    'snagsync sim --fast               # 30 requests a second instead of a minute',
    'snagsync sim --json --port 8900',
  ],
  'credentials add': [
    'snagsync credentials add --name prod --token-env BUGSNAG_TOKEN',
    'snagsync credentials add --name sim --host "$SIM_URL" --token-env SIM_TOKEN',
  ],
  'credentials list': ['snagsync credentials list', 'snagsync credentials list --json'],
  'credentials show': ['snagsync credentials show prod'],
  'credentials test': ['snagsync credentials test prod'],
  'credentials update': [
    'snagsync credentials update prod --token-stdin < new-token.txt',
    'snagsync credentials update prod --description "CI token"',
  ],
  'credentials remove': [
    'snagsync credentials remove prod',
    'snagsync credentials remove prod --force   # and disable its sources',
  ],
  'credentials rotate-key': ['snagsync credentials rotate-key'],
  'sources create': [
    'snagsync sources create --name demo --credential sim --streams errors,events --start-date 7d',
    'snagsync sources create --name prod --credential prod --destination sqlite:./bugsnag.db --schedule "every 1h"',
  ],
  'sources list': ['snagsync sources list'],
  'sources show': ['snagsync sources show demo', 'snagsync sources show demo --json   # the raw configuration'],
  'sources update': [
    'snagsync sources update demo --schedule "every 15m"',
    'snagsync sources update demo --status paused',
  ],
  'sources remove': ['snagsync sources remove demo'],
  'sources webhook': ['snagsync sources webhook demo', 'snagsync sources webhook demo --rotate'],
  'sources preview': ['snagsync sources preview demo --stream events --limit 3'],
  streams: ['snagsync streams', 'snagsync streams --json   # with JSON Schemas'],
  sync: ['snagsync sync demo', 'snagsync sync demo --full-refresh --stream errors'],
  worker: ['snagsync worker --concurrency 2'],
  'runs list': ['snagsync runs list --source demo --limit 5'],
  'runs show': ['snagsync runs show run_…'],
  'models apply': ['snagsync models apply demo'],
  'models list': ['snagsync models list'],
  'schedule run-due': ['snagsync schedule run-due            # from cron, e.g. every minute'],
  'schedule daemon': ['snagsync schedule daemon', 'snagsync schedule daemon --json --tick 1m'],
  serve: ['snagsync serve', 'snagsync serve --port 9000 --no-scheduler'],
  'store info': ['snagsync store info'],
  'store migrate': [
    "snagsync store migrate --from ~/.snagsync --to 'postgres://postgres@127.0.0.1:5432/test?schema=snagsync'",
  ],
  'users add': ['snagsync users add ana@example.com --role editor'],
  'users list': ['snagsync users list'],
  'users set-password': ['snagsync users set-password ana@example.com --password-stdin < password.txt'],
  'users set-role': ['snagsync users set-role ana@example.com admin'],
  'users remove': ['snagsync users remove ana@example.com'],
  'tokens create': ['snagsync tokens create --user ana@example.com'],
  'tokens list': ['snagsync tokens list --user ana@example.com'],
  'tokens revoke': ['snagsync tokens revoke tok_…'],
  audit: ['snagsync audit --limit 20'],
  'writeback plan': [
    `snagsync writeback plan --credential sim --from "sqlite:./bugsnag.db?query=SELECT project_id, id AS error_id, 'fix' AS operation FROM errors WHERE status = 'open' LIMIT 5"`,
    'snagsync writeback plan --credential sim --from decisions.csv --json',
  ],
  'writeback apply': ['snagsync writeback apply --credential sim --from decisions.csv --yes'],
  'airbyte spec': ['snagsync airbyte spec'],
  'airbyte check': ['snagsync airbyte check --config config.json'],
  'airbyte discover': ['snagsync airbyte discover --config config.json'],
  'airbyte read': ['snagsync airbyte read --config config.json --catalog catalog.json --state state.json'],
  singer: [
    'snagsync singer --config config.json --discover',
    'snagsync singer --config config.json --catalog catalog.json',
  ],
};

/** Adds an Examples section to the help of `command` and each of its subcommands that has examples. */
export function addExamples(command: Command, path = command.name()): void {
  const examples = EXAMPLES[path];
  if (examples && command.commands.length === 0)
    command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`);
  for (const sub of command.commands) addExamples(sub, `${path} ${sub.name()}`);
}
