// Rotates the master key and is killed (SIGKILL) after the new key file is in place, before the commit.
import { rotateMasterKey } from '../../../src/credentials/vault-rotate.js';
import { openStore } from '../../../src/store/index.js';
import { keyIdOf } from '../../../src/credentials/keyfile.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [home] = process.argv.slice(2);
const store = openStore({ home: home! });
await rotateMasterKey({
  home: home!,
  env: {},
  store: store.credentials,
  beforeCommit: () => {
    const installed = keyIdOf(Buffer.from(readFileSync(join(home!, 'master.key'), 'utf8').trim(), 'base64'));
    process.send?.({ type: 'installed', keyId: installed });
    // No clean-up, no rollback: the process just disappears, mid-transaction.
    process.kill(process.pid, 'SIGKILL');
  },
});
