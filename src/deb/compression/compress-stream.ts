import { PassThrough, type Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import lzma from 'lzma-native';
import { DebstashError } from '../../errors/debstash-error.js';
import type { EncodableCompression } from './compression.js';

export interface CompressOptions {
  /** gzip 1..9 (default 9, as Debian's archive tools use), xz 0..9 (default 6, as xz). */
  level?: number;
  /**
   * xz only: encode with this many threads (0: one per core). The output is then a single xz
   * stream of several blocks, which every xz reader (APT included) decodes; without it, one block.
   */
  threads?: number;
}

/**
 * A streaming encoder. The output is deterministic for a given input and options: gzip writes
 * no name and a zero mtime, so published indexes do not change when re-encoded.
 */
export function compressStream(compression: EncodableCompression, options: CompressOptions = {}): Transform {
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return createGzip({ level: checkLevel(options.level ?? 9, 1, 9, compression) });
    case 'xz':
      return lzma.createCompressor({
        preset: checkLevel(options.level ?? 6, 0, 9, compression),
        check: lzma.CHECK_CRC64,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
      });
    default:
      throw new DebstashError('DEBSTASH_E_COMPRESSION_UNSUPPORTED', `debstash cannot write ${String(compression)} data`, {
        compression: String(compression),
      });
  }
}

function checkLevel(level: number, min: number, max: number, compression: string): number {
  if (!Number.isInteger(level) || level < min || level > max) {
    throw new RangeError(`${compression} level must be an integer from ${min} to ${max}, not ${level}`);
  }
  return level;
}
