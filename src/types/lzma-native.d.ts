/**
 * The part of lzma-native (which ships no types) that debstash uses: the streaming .xz decoder
 * and the stream encoder with explicit LZMA2 options. Both are Transform streams from
 * readable-stream, which are compatible with node's own stream API.
 */
declare module 'lzma-native' {
  import type { Transform } from 'node:stream';

  export interface DecompressorOptions {
    /** Refuse input whose decoding needs more memory than this many bytes. */
    memlimit?: number;
    /** Size of the output buffers handed downstream. */
    bufsize?: number;
  }

  /** liblzma's lzma_options_lzma. */
  export interface Lzma2Options {
    dictSize: number;
    lc: number;
    lp: number;
    pb: number;
    mode: number;
    niceLen: number;
    mf: number;
    depth: number;
  }

  export interface StreamEncoderOptions {
    /** Integrity check written into the stream; one of the CHECK_* constants. */
    check: number;
    filters: { id: string; options: Lzma2Options }[];
  }

  export function createDecompressor(options?: DecompressorOptions): Transform;
  /** liblzma's lzma_stream_encoder(): one stream, one block. */
  export function createStream(coder: 'streamEncoder', options: StreamEncoderOptions): Transform;

  const lzma: {
    createDecompressor: typeof createDecompressor;
    createStream: typeof createStream;
    CHECK_CRC64: number;
    FILTER_LZMA2: string;
    MODE_FAST: number;
    MODE_NORMAL: number;
    MF_HC3: number;
    MF_HC4: number;
    MF_BT4: number;
  };
  export default lzma;
}
