import { limitExceeded, type UpstreamLimits } from './upstream-limits.js';

/**
 * Decompresses `compressed` with `decompress`, stopping a decompression bomb: more than
 * `indexBytes` out, or, once `ratioAfterBytes` came out, more than `indexRatio` times the
 * compressed bytes that went in. Both are checked on every piece, so a bomb is stopped after at
 * most one piece past the limit, whatever its final size.
 */
export async function* guardedDecompress(
  compressed: AsyncIterable<Uint8Array>,
  decompress: (bytes: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>,
  limits: UpstreamLimits,
  source: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  let consumed = 0;
  const counted = async function* (): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const piece of compressed) {
      consumed += piece.byteLength;
      yield piece;
    }
  };
  let produced = 0;
  for await (const piece of decompress(counted())) {
    produced += piece.byteLength;
    if (produced > limits.indexBytes) throw limitExceeded('indexBytes', limits, `${source}: decompressed`, `more than ${limits.indexBytes} bytes`);
    if (produced > limits.ratioAfterBytes && produced > limits.indexRatio * Math.max(consumed, 1)) {
      throw limitExceeded('indexRatio', limits, `${source}: decompressed ${produced} bytes from ${consumed}`, `a ratio of ${(produced / Math.max(consumed, 1)).toFixed(0)}`);
    }
    yield piece;
  }
}
