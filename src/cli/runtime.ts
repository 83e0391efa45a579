import type { Runtime } from '../runtime.js';
import type { Io } from './output.js';

/**
 * Opens the snagsync home for one command and closes it afterwards, whatever happens. The runtime (store, SQLite
 * driver, vault) is imported here, when a command runs, so that declaring commands and printing their help stays light.
 */
export async function withRuntime<T>(io: Io, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const { openRuntime } = await import('../runtime.js');
  const rt = openRuntime({ env: io.env });
  for (const w of rt.warnings) io.stderr.write(`snagsync: warning: ${w}\n`);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
