import { Buffer, isAscii } from 'node:buffer';

/*
 * Byte-level UTF-8 helpers for the streaming deb822 parser, which reads UTF-8 as Latin-1
 * ("binary" strings, one char per byte: a plain copy, several times faster than decoding, and
 * Debian indexes are nearly all ASCII) and decodes only the few values that need it.
 */

/** Bytes in the sequence this lead byte starts (invalid leads count 1: validation rejects them). */
export function sequenceLength(lead: number): number {
  if (lead >= 0xf0) return lead >= 0xf8 ? 1 : 4;
  if (lead >= 0xe0) return 3;
  if (lead >= 0xc0) return 2;
  return 1;
}

/** Where a character cut off at `end` starts, so that [start, result) ends on a boundary. */
export function completeEnd(b: Uint8Array, start: number, end: number): number {
  const stop = Math.max(start, end - 3);
  let i = end - 1;
  while (i >= stop && (b[i] & 0xc0) === 0x80) i--;
  if (i < stop) return end;
  return i + sequenceLength(b[i]) > end ? i : end;
}

/**
 * Offset of the first byte in [start, end) that does not begin a valid UTF-8 sequence (RFC 3629:
 * no overlongs, surrogates or code points above U+10FFFF), or -1. Only used to place an error,
 * so it favours plainness over speed.
 */
export function firstInvalidUtf8(b: Uint8Array, start: number, end: number): number {
  let i = start;
  while (i < end) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (n === 0 || i + n > end) return i;
    const c1 = b[i + 1];
    if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) {
      return i;
    }
    for (let k = 1; k < n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += n;
  }
  return -1;
}

const BIG_BLOCK = 1 << 15;
const SMALL_BLOCK = 1 << 10;

/**
 * Offsets (relative to `start`) of the bytes >= 0x80 in [start, end), in order. Such bytes are
 * rare, so blocks are first cleared with the vectorised isAscii, big ones then small ones.
 */
export function nonAsciiOffsets(b: Uint8Array, start: number, end: number): number[] {
  const found: number[] = [];
  for (let big = start; big < end; big += BIG_BLOCK) {
    const bigEnd = Math.min(end, big + BIG_BLOCK);
    if (isAscii(b.subarray(big, bigEnd))) continue;
    for (let small = big; small < bigEnd; small += SMALL_BLOCK) {
      const smallEnd = Math.min(bigEnd, small + SMALL_BLOCK);
      if (isAscii(b.subarray(small, smallEnd))) continue;
      for (let i = small; i < smallEnd; i++) if (b[i] >= 0x80) found.push(i - start);
    }
  }
  return found;
}

/** Offsets of the chars >= 0x80 in a binary string. */
export function nonAsciiCharOffsets(s: string): number[] {
  const found: number[] = [];
  const re = /[\x80-\xff]/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) found.push(m.index);
  return found;
}

/** The text a binary string stands for (it must hold valid UTF-8). */
export function decodeBinary(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
