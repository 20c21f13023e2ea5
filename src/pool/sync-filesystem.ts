import { execFile } from 'node:child_process';

/**
 * Flushes every pending write of the file system holding `path` to disk: syncfs(2), through
 * coreutils' `sync --file-system` since Node has no binding for it. One call makes a whole
 * batch of new files durable where an fsync each would cost a journal commit each. Resolves
 * false when it could not be done (no `sync`, or it failed), so that the caller falls back to
 * fsync, which reports the real error.
 */
export function syncFilesystem(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('sync', ['--file-system', path], { timeout: 10 * 60 * 1000 }, (error) => resolve(error === null));
  });
}
