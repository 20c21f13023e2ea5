/**
 * The part of lzma-native (which ships no types) that debstash uses: the streaming
 * .xz encoder and decoder. Both are Transform streams from readable-stream, which are
 * compatible with node's own stream API.
 */
declare module 'lzma-native' {
  import type { Transform } from 'node:stream';

  export interface CompressorOptions {
    /** 0..9, optionally OR-ed with PRESET_EXTREME. */
    preset?: number;
    /** Use liblzma's multi-threaded encoder (multi-block output); 0 means one per core. */
    threads?: number;
    /** Integrity check written into the stream; one of the CHECK_* constants. */
    check?: number;
  }

  export interface DecompressorOptions {
    /** Refuse input whose decoding needs more memory than this many bytes. */
    memlimit?: number;
    /** Size of the output buffers handed downstream. */
    bufsize?: number;
  }

  export function createCompressor(options?: CompressorOptions): Transform;
  export function createDecompressor(options?: DecompressorOptions): Transform;

  export const PRESET_EXTREME: number;
  export const CHECK_CRC32: number;
  export const CHECK_CRC64: number;
  export const CHECK_NONE: number;

  const lzma: {
    createCompressor: typeof createCompressor;
    createDecompressor: typeof createDecompressor;
    PRESET_EXTREME: number;
    CHECK_CRC32: number;
    CHECK_CRC64: number;
    CHECK_NONE: number;
  };
  export default lzma;
}
