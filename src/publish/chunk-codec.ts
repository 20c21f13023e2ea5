import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Lzma2Options } from 'lzma-native';
import { haveXzProgram } from '../deb/compression/xz-process-decoder.js';
import { xzEncodeByProgram } from '../deb/compression/xz-process-encoder.js';
import type { Semaphore } from '../concurrency/semaphore.js';
import { CHECK_CRC64, splitXzStream, type XzBlocks } from './xz-container.js';

const gzip = promisify(gzipCallback);

/** How index chunks are compressed. */
export interface ChunkCodecOptions {
  /** gzip level 1..9 (default 9, as Debian's archive tools). */
  readonly gzipLevel?: number;
  /** xz preset 0..9 (default 3; see docs/publish.md for the measured trade-off). */
  readonly xzPreset?: number;
}

export const DEFAULT_GZIP_LEVEL = 9;
export const DEFAULT_XZ_PRESET = 3;

/** A chunk compressed both ways: one gzip member, and the xz blocks of a one-stream file. */
export interface CompressedChunk {
  readonly gz: Buffer;
  readonly xz: XzBlocks;
}


export function checkPreset(preset: number): void {
  if (!Number.isInteger(preset) || preset < 0 || preset > 9) throw new RangeError(`xz preset must be an integer from 0 to 9, not ${preset}`);
}

/** The preset's dictionary, halved while the data still fits: a larger one is never used. */
export function dictionarySize(preset: number, inputSize: number): number {
  let dictSize = 2 ** [18, 20, 21, 22, 22, 23, 23, 24, 25, 26][preset];
  // 4 KiB is LZMA2's minimum.
  while (dictSize / 2 >= Math.max(inputSize, 4096)) dictSize /= 2;
  return dictSize;
}

/**
 * liblzma's lzma_lzma_preset() for levels 0..9 (not extreme), with the dictionary given: a
 * smaller dictionary saves memory and set-up time and does not change the compressed data.
 */
function presetOptions(lzma: typeof import('lzma-native').default, preset: number, dictSize: number): Lzma2Options {
  const fast = preset <= 3;
  return {
    dictSize,
    lc: 3,
    lp: 0,
    pb: 2,
    mode: fast ? lzma.MODE_FAST : lzma.MODE_NORMAL,
    mf: fast ? (preset === 0 ? lzma.MF_HC3 : lzma.MF_HC4) : lzma.MF_BT4,
    niceLen: fast ? (preset <= 1 ? 128 : 273) : preset === 4 ? 16 : preset === 5 ? 32 : 64,
    depth: fast ? [4, 8, 24, 48][preset] : 0,
  };
}

/** A one-stream .xz file of `data` (CRC64 check, one block), from liblzma on the thread pool. */
export async function xzStreamInProcess(data: Uint8Array, preset: number): Promise<Buffer> {
  checkPreset(preset);
  // Loaded here only: where the xz program is, a publish never needs liblzma (~70 ms to load).
  const lzma = (await import('lzma-native')).default;
  const options = { check: lzma.CHECK_CRC64, filters: [{ id: lzma.FILTER_LZMA2, options: presetOptions(lzma, preset, dictionarySize(preset, data.length)) }] };
  return new Promise((resolve, reject) => {
    const encoder = lzma.createStream('streamEncoder', options);
    const out: Buffer[] = [];
    encoder.on('data', (b: Buffer) => out.push(b));
    encoder.once('end', () => resolve(Buffer.concat(out)));
    encoder.once('error', reject);
    encoder.end(data);
  });
}

/**
 * A one-stream .xz file of `data` (CRC64 check, one block): from the `xz` program, or from
 * liblzma in this process where there is none; both write the same bytes.
 */
export async function xzStream(data: Uint8Array, preset: number): Promise<Buffer> {
  if (!haveXzProgram()) return xzStreamInProcess(data, preset);
  checkPreset(preset);
  return xzEncodeByProgram(data, preset, dictionarySize(preset, data.length));
}

/** How a chunk becomes xz blocks: alone in a stream of its own (xzStream), or batched (XzBatcher). */
export type XzBlockEncoder = (data: Uint8Array, preset: number) => Promise<XzBlocks>;

/** The block of a one-stream file of `data` made by xzStream. */
export const xzBlocksAlone: XzBlockEncoder = async (data, preset) => splitXzStream(await xzStream(data, preset));

/**
 * Compresses one chunk both ways; the two encoders run in parallel (gzip on the thread pool,
 * at most `gzipSlots` at a time: each holds ~0.5 MB of zlib state while it waits).
 */
export async function compressChunk(data: Uint8Array, options: ChunkCodecOptions = {}, xz: XzBlockEncoder = xzBlocksAlone, gzipSlots?: Semaphore): Promise<CompressedChunk> {
  const level = options.gzipLevel ?? DEFAULT_GZIP_LEVEL;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new RangeError(`gzip level must be an integer from 1 to 9, not ${level}`);
  const gzipped = gzipSlots === undefined ? gzip(data, { level }) : gzipSlots.run(() => gzip(data, { level }));
  const [gz, blocks] = await Promise.all([gzipped, xz(data, options.xzPreset ?? DEFAULT_XZ_PRESET)]);
  if (blocks.check !== CHECK_CRC64) throw new Error('xz: the encoder did not write CRC64 checks');
  return { gz, xz: blocks };
}
