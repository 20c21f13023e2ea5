import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Compression } from '../../src/deb/compression/compression.js';
import { decompressStream } from '../../src/deb/compression/decompress-stream.js';
import { drainedOrClosed } from '../../src/deb/compression/pipe-through.js';

/** Test helpers for the codecs. */

/** `xz --robot --list` of some xz data: it reads only files, not stdin. */
export function xzList(data: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'debstash-xz-'));
  try {
    writeFileSync(join(dir, 'data.xz'), data);
    return execFileSync('xz', ['--robot', '--list', join(dir, 'data.xz')]).toString();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a system tool with `input` on stdin and returns its stdout. */
export function tool(command: string, args: readonly string[], input: Uint8Array): Buffer {
  return execFileSync(command, args, { input, maxBuffer: 1 << 30 });
}

/** Decodes `data` through decompressStream, written in pieces of `chunkSize` bytes. */
export async function decode(compression: Compression, data: Uint8Array, chunkSize = 65536): Promise<Buffer> {
  const stream = decompressStream(compression, { source: `test.${compression}` });
  const out: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of stream) out.push(chunk as Buffer);
  })();
  // Errors surface through the reading side; stop writing once the stream is gone.
  for (let i = 0; i < data.length && !stream.destroyed; i += chunkSize) {
    if (!stream.write(data.subarray(i, i + chunkSize))) await drainedOrClosed(stream);
  }
  if (!stream.destroyed) stream.end();
  await reading;
  return Buffer.concat(out);
}
