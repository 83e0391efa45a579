import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The throwaway homes of protocol runs (session.ts), in the temp folder. Each is named after the process that owns it,
 * so that a run killed before it could remove its own (kill -9, an orchestrator pulling the plug) leaves a home the
 * next run recognises as abandoned and removes. A home whose process still runs is another run's: left alone. (What
 * such a home holds is sealed with a key that died with its process: nothing readable, only clutter.)
 */

const PREFIX = 'snagsync-protocol-';
const OWNED = /^snagsync-protocol-(\d+)-/;

export function makeTempHome(root: string): string {
  return mkdtempSync(join(root, `${PREFIX}${process.pid}-`));
}

/** Removes the homes of processes that are gone; returns their paths. */
export function removeAbandonedHomes(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(OWNED.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const path = join(root, name);
    try {
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another run removing it at the same time, or not ours to remove: either way, not this run's concern.
    }
  }
  return removed;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists (another user's); only ESRCH says it is gone.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
