import { closeSync, fsyncSync, openSync } from 'node:fs';

/** Makes a rename or link in `dir` durable: the directory entry itself must reach the disk. */
export function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
