// Several of these start at once and seal a token; each must end up with the same, single master key.
import { barrier } from '../../store/fork-helper.js';
import { createVault } from '../../../src/credentials/vault.js';

const [home] = process.argv.slice(2);
const vault = createVault({ home: home!, env: {} });
await barrier();
const sealed = await vault.seal('cred_0000000000test', 'tok-concurrent-0001');
process.send?.({ type: 'done', keyId: sealed.token_key_id }, () => process.exit(0));
