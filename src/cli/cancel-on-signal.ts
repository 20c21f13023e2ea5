/**
 * Ctrl-C (or SIGTERM) aborts the returned signal once, so the operation can stop and clean up;
 * a second one exits at once. `dispose` removes the handlers.
 */
export function cancelOnSignal(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const handler = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\ndebstash: ${sig}: stopping cleanly (again to force)\n`);
    controller.abort(new Error(`interrupted by ${sig}`));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

/** Runs `fn` with Ctrl-C wired to its signal; the handlers are gone however it ends. */
export async function cancellable<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const cancel = cancelOnSignal();
  try {
    return await fn(cancel.signal);
  } finally {
    cancel.dispose();
  }
}
