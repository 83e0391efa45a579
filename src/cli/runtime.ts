import type { Runtime } from '../runtime.js';
import type { Io } from './output.js';

/**
 * Opens the snagsync home for one command and closes it afterwards, whatever happens. The runtime (store, SQLite
 * driver, vault) is imported here, when a command runs, so that declaring commands and printing their help stays light.
 */
export async function withRuntime<T>(io: Io, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const { openRuntime } = await import('../runtime.js');
  const rt = openRuntime({ env: io.env });
  printRuntimeWarnings(io, rt.warnings);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}

/** Warnings already printed by this process: a home opened twice (or by two commands in one process) warns once. */
const printed = new Set<string>();

/** The runtime's warnings (a home or store other users can read) on stderr, each once per process. */
export function printRuntimeWarnings(io: Io, warnings: readonly string[]): void {
  for (const w of warnings) {
    if (printed.has(w)) continue;
    printed.add(w);
    io.stderr.write(`snagsync: warning: ${w}\n`);
  }
}
