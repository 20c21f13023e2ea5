import type { Compression } from './compression.js';
import { decompressStream, type DecompressOptions } from './decompress-stream.js';

/**
 * Decompresses a whole buffer; for small data only (a control.tar, a pdiff). For 'none' the
 * result shares memory with `data`.
 */
export async function decompressBuffer(data: Uint8Array, compression: Compression, options: DecompressOptions = {}): Promise<Buffer> {
  if (compression === 'none') return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const stream = decompressStream(compression, options);
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  })();
  stream.end(data);
  await done;
  return Buffer.concat(chunks);
}
