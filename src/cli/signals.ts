/** Resolves on the first SIGINT or SIGTERM, for long-running commands (`serve`, `sim`) that then close cleanly. */
export function untilSignal(): { done: Promise<void>; cancel(): void } {
  let stop = () => {};
  const done = new Promise<void>((resolve) => {
    stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
  });
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { done, cancel: stop };
}
