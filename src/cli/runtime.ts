import { openRuntime, type Runtime } from '../runtime.js';
import type { Io } from './output.js';

/** Opens the snagsync home for one command and closes it afterwards, whatever happens. */
export async function withRuntime<T>(io: Io, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = openRuntime({ env: io.env });
  for (const w of rt.warnings) io.stderr.write(`snagsync: warning: ${w}\n`);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
