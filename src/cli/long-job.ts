import type { ProgressSink } from '../model/progress.js';
import { cancellable } from './cancel-on-signal.js';
import { progressRenderer } from './progress-renderer.js';

/**
 * A long job of the CLI: cancellable with Ctrl-C, its progress drawn (a bar on a terminal,
 * JSON lines otherwise) and cleared before the caller prints the result.
 */
export async function longJob<T>(quiet: boolean, fn: (io: { readonly signal: AbortSignal; readonly progress: ProgressSink }) => Promise<T>): Promise<T> {
  const progress = progressRenderer({ quiet });
  try {
    return await cancellable((signal) => fn({ signal, progress }));
  } finally {
    progress.end();
  }
}
