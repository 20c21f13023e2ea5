/**
 * The .xz container (xz file format 1.2.0) around LZMA2 blocks: enough to take the blocks out
 * of a single-stream file liblzma wrote and to put blocks from several such files into one new
 * stream with its own index and footer. Blocks are independent of each other and of where they
 * sit, so a stream assembled from blocks compressed at different times decodes like one
 * compressed in one go, by every xz reader (apt reads only the first stream of a file, so
 * concatenating whole streams would not do).
 */

const MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const FOOTER_MAGIC = Buffer.from([0x59, 0x5a]);
/** Check type 0x04: CRC64, 8 bytes after each block. */
export const CHECK_CRC64 = 0x04;
const CHECK_SIZE: Readonly<Record<number, number>> = { 0x00: 0, 0x01: 4, 0x04: 8, 0x0a: 32 };

/** One block's entry in the stream index. */
export interface XzRecord {
  /** Block header + compressed data + check, without the padding. */
  readonly unpadded: number;
  readonly uncompressed: number;
}

/** The blocks of a stream: their bytes (padding included), their records, and the check type. */
export interface XzBlocks {
  readonly check: number;
  readonly bytes: Buffer;
  readonly records: readonly XzRecord[];
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, as xz and gzip use). */
export function crc32(data: Uint8Array): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function corrupt(why: string): never {
  throw new Error(`not a single-stream .xz file as liblzma writes it: ${why}`);
}

function readVarint(buf: Buffer, at: { pos: number }, end: number): number {
  let value = 0;
  for (let i = 0; i < 9; i++) {
    if (at.pos >= end) corrupt('index ends inside a number');
    const byte = buf[at.pos++];
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) corrupt('a number in the index is not in its shortest form');
      return value;
    }
  }
  return corrupt('a number in the index is longer than 9 bytes');
}

function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`xz: cannot encode ${value}`);
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/** Takes the blocks out of a file holding exactly one xz stream (no stream padding). */
export function splitXzStream(file: Buffer): XzBlocks {
  if (file.length < 24) corrupt('too short');
  if (!file.subarray(0, 6).equals(MAGIC)) corrupt('no xz magic');
  const flags = file.subarray(6, 8);
  if (crc32(flags) !== file.readUInt32LE(8)) corrupt('stream header CRC');
  const footer = file.subarray(file.length - 12);
  if (!footer.subarray(10, 12).equals(FOOTER_MAGIC)) corrupt('no footer magic (several streams, or stream padding?)');
  if (!footer.subarray(8, 10).equals(flags)) corrupt('header and footer flags differ');
  if (crc32(footer.subarray(4, 10)) !== footer.readUInt32LE(0)) corrupt('stream footer CRC');
  if (flags[0] !== 0 || CHECK_SIZE[flags[1]] === undefined) corrupt(`unsupported stream flags ${flags.toString('hex')}`);
  const indexSize = (footer.readUInt32LE(4) + 1) * 4;
  const indexStart = file.length - 12 - indexSize;
  if (indexStart < 12) corrupt('index larger than the file');
  const index = file.subarray(indexStart, file.length - 12);
  if (index[0] !== 0x00) corrupt('no index indicator');
  if (crc32(index.subarray(0, index.length - 4)) !== index.readUInt32LE(index.length - 4)) corrupt('index CRC');
  const at = { pos: indexStart + 1 };
  const end = file.length - 16;
  const count = readVarint(file, at, end);
  const records: XzRecord[] = [];
  let blocksSize = 0;
  for (let i = 0; i < count; i++) {
    const unpadded = readVarint(file, at, end);
    const uncompressed = readVarint(file, at, end);
    records.push({ unpadded, uncompressed });
    blocksSize += unpadded + pad4(unpadded);
  }
  if (end - at.pos !== pad4(at.pos - indexStart) || file.subarray(at.pos, end).some((b) => b !== 0)) corrupt('index padding');
  if (blocksSize !== indexStart - 12) corrupt('the index does not account for the blocks');
  return { check: flags[1], bytes: file.subarray(12, indexStart), records };
}

/** The blocks of a stream one by one, each with its padding. */
export function eachBlock(blocks: XzBlocks): XzBlocks[] {
  let at = 0;
  return blocks.records.map((r) => {
    const end = at + r.unpadded + pad4(r.unpadded);
    const one = { check: blocks.check, bytes: blocks.bytes.subarray(at, end), records: [r] };
    at = end;
    return one;
  });
}

/**
 * One xz stream made of the given blocks, in order (all with the same check type), as the
 * buffers to write one after the other.
 */
export function assembleXzStream(parts: readonly XzBlocks[], check = CHECK_CRC64): Buffer[] {
  const flags = Buffer.from([0x00, check]);
  const header = Buffer.alloc(12);
  MAGIC.copy(header, 0);
  flags.copy(header, 6);
  header.writeUInt32LE(crc32(flags), 8);

  const index: number[] = [0x00];
  let count = 0;
  for (const p of parts) {
    if (p.check !== check) throw new RangeError(`xz: a block has check type ${p.check}, the stream ${check}`);
    count += p.records.length;
  }
  writeVarint(index, count);
  for (const p of parts) {
    for (const r of p.records) {
      writeVarint(index, r.unpadded);
      writeVarint(index, r.uncompressed);
    }
  }
  while (index.length % 4 !== 0) index.push(0);
  const indexBytes = Buffer.alloc(index.length + 4);
  Buffer.from(index).copy(indexBytes);
  indexBytes.writeUInt32LE(crc32(indexBytes.subarray(0, index.length)), index.length);

  const footer = Buffer.alloc(12);
  footer.writeUInt32LE(indexBytes.length / 4 - 1, 4);
  flags.copy(footer, 8);
  FOOTER_MAGIC.copy(footer, 10);
  footer.writeUInt32LE(crc32(footer.subarray(4, 10)), 0);
  return [header, ...parts.map((p) => p.bytes), indexBytes, footer];
}
