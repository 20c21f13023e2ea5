import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

/** Large reads: a pool of .debs is mostly big files, and fewer reads mean fewer trips through libuv. */
const READ_SIZE = 1 << 20;

export interface FileHash {
  readonly sha256: string;
  readonly size: number;
}

/**
 * SHA-256 and size of the file at `path`, read to its end through one buffer. The size is what
 * was read, not what a stat said before: a file that changes meanwhile is hashed as it was read.
 */
export async function hashFile(path: string, signal?: AbortSignal): Promise<FileHash> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(READ_SIZE);
    let size = 0;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await fh.read(buffer, 0, READ_SIZE, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}

/** SHA-256 and size of everything `data` yields: a file of a pool with no local path. */
export async function hashStream(data: AsyncIterable<Uint8Array>): Promise<FileHash> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of data) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}
