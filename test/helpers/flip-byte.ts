import { open, stat, utimes } from 'node:fs/promises';

/**
 * Damages a file the way a bad disk or a stray edit does: one byte inverted in place (same
 * size, same inode), at `at` (default the middle). With `keepMtime` the mtime is put back, so
 * only the ctime tells the change.
 */
export async function flipByte(path: string, options: { readonly at?: number; readonly keepMtime?: boolean } = {}): Promise<void> {
  const before = await stat(path);
  const at = options.at ?? Math.floor(before.size / 2);
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, at);
    b[0] = (b[0] ?? 0) ^ 0xff;
    await fh.write(b, 0, 1, at);
  } finally {
    await fh.close();
  }
  if (options.keepMtime === true) await utimes(path, before.atime, before.mtime);
}
