import { createHash } from 'node:crypto';

/** A SHA-256 as the pool and the index cache name files: 64 lowercase hex digits. */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Refuses a name that is not a lowercase hex SHA-256, before it becomes part of a path. */
export function checkSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new TypeError(`not a lowercase hex SHA-256: ${JSON.stringify(sha256)}`);
}

/** The hex SHA-256 of everything `data` yields (a file's read stream, say). */
export async function sha256Of(data: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of data) hash.update(chunk);
  return hash.digest('hex');
}

/** The hex SHA-256 of bytes in memory. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
