import { type Duplex, PassThrough } from 'node:stream';
import { createGunzip } from 'node:zlib';
import lzma from 'lzma-native';
import { DebstashError } from '../../errors/debstash-error.js';
import { Bzip2Decoder } from './bzip2-decoder.js';
import type { Compression } from './compression.js';
import { NativeCodecTransform } from './native-codec-transform.js';
import { PullDecoderTransform } from './pull-decoder-transform.js';
import { haveXzProgram, XzProcessDecoder } from './xz-process-decoder.js';
import { ZstdDecoder } from './zstd-decoder.js';

export interface DecompressOptions {
  /** What is being decompressed (a file name or URL), for error messages. */
  source?: string;
  /** Size of the compressed input when known (e.g. an ar member): small xz is decoded in-process. */
  inputBytes?: number;
}

/** liblzma refuses input needing more memory than this; `xz -9` needs 65 MiB. */
const XZ_MEMORY_LIMIT = 256 * 1024 * 1024;
/** Input slice sizes for the native decoders; see NativeCodecTransform. */
const GZIP_SLICE = 16 * 1024;
const XZ_SLICE = 16 * 1024;
/**
 * Below this much xz input, starting an `xz` process (~5 ms) costs more than liblzma decoding
 * in this thread: a .deb's control.tar.xz is a few KiB.
 */
const XZ_PROCESS_MIN_INPUT = 256 * 1024;

/**
 * A streaming decoder for `compression`. Errors are DebstashErrors: corrupt or truncated input
 * is DEBSTASH_E_COMPRESSION_CORRUPT.
 *
 * Several gzip members in a row decode as one stream, as `gzip -d` and APT read them. Several
 * xz streams in a row also decode as one, as `xz -d` reads them (APT stops after the first;
 * no archive writes such files). xz is decoded by the `xz` program where there is one (see
 * XzProcessDecoder), by liblzma for small inputs and where there is none. bzip2 and zstd: see Bzip2Decoder and ZstdDecoder.
 */
export function decompressStream(compression: Compression, options: DecompressOptions = {}): Duplex {
  const source = options.source ?? `${compression} data`;
  switch (compression) {
    case 'none':
      return new PassThrough();
    case 'gzip':
      return new NativeCodecTransform(createGunzip(), (error) => mapZlibError(error, source), GZIP_SLICE);
    case 'xz':
      if (haveXzProgram() && (options.inputBytes === undefined || options.inputBytes >= XZ_PROCESS_MIN_INPUT)) return new XzProcessDecoder(source, XZ_MEMORY_LIMIT);
      return new NativeCodecTransform(
        lzma.createDecompressor({ memlimit: XZ_MEMORY_LIMIT }),
        (error) => mapLzmaError(error, source),
        XZ_SLICE,
      );
    case 'bzip2':
      return new PullDecoderTransform(new Bzip2Decoder(source));
    case 'zstd':
      return new PullDecoderTransform(new ZstdDecoder(source));
    default:
      throw unsupported(compression, source);
  }
}

function unsupported(compression: never, source: string): DebstashError {
  return new DebstashError('DEBSTASH_E_COMPRESSION_UNSUPPORTED', `${source}: unknown compression "${String(compression)}"`, {
    compression: String(compression),
  });
}

function corrupt(compression: Compression, source: string, what: string, cause: unknown): DebstashError {
  return new DebstashError('DEBSTASH_E_COMPRESSION_CORRUPT', `${source}: ${what}`, { compression }, { cause });
}

function mapZlibError(error: unknown, source: string): Error {
  if (error instanceof DebstashError) return error;
  const { code, message } = error as { code?: unknown; message?: string };
  if (code === 'Z_BUF_ERROR') return corrupt('gzip', source, 'the gzip data ends early (truncated)', error);
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return corrupt('gzip', source, `invalid gzip data (${message ?? code})`, error);
  }
  return error as Error;
}

// liblzma's lzma_ret values, which lzma-native puts in `code`.
const LZMA_MEM_ERROR = 5;
const LZMA_MEMLIMIT_ERROR = 6;
const LZMA_FORMAT_ERROR = 7;
const LZMA_OPTIONS_ERROR = 8;
const LZMA_DATA_ERROR = 9;
const LZMA_BUF_ERROR = 10;

function mapLzmaError(error: unknown, source: string): Error {
  if (error instanceof DebstashError) return error;
  const { code, message } = error as { code?: unknown; message?: string };
  switch (code) {
    case LZMA_BUF_ERROR:
      return corrupt('xz', source, 'the xz data ends early (truncated)', error);
    case LZMA_FORMAT_ERROR:
      return corrupt('xz', source, 'not xz data (or unexpected data after the xz stream)', error);
    case LZMA_DATA_ERROR:
    case LZMA_OPTIONS_ERROR:
      return corrupt('xz', source, `invalid xz data (${message ?? code})`, error);
    case LZMA_MEMLIMIT_ERROR:
    case LZMA_MEM_ERROR:
      return corrupt('xz', source, `decoding would need more than ${XZ_MEMORY_LIMIT / 1048576} MiB of memory`, error);
    default:
      return error as Error;
  }
}
