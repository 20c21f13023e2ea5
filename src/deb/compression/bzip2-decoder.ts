import { DebstashError } from '../../errors/debstash-error.js';

/**
 * A streaming bzip2 decoder (the format of bzip2 0.9.5 and later), written from the format
 * that libbz2's decompress.c implements. It is a pull decoder: feed input with `write`,
 * say `end` when there is no more, and take output with `read` until it returns null. It never
 * needs more than one block of input and one block of output in memory, so it can decode
 * arbitrarily large input with bounded memory; a stream wrapper provides backpressure.
 *
 * Checked like libbz2 checks: every block CRC, the stream CRC, the tables' ranges. Several
 * streams in a row (`cat a.bz2 b.bz2`, what pbzip2 writes) decode as one, like `bzip2 -d`.
 * Deliberately stricter than `bzip2 -d`: bytes after the last stream that are not another
 * stream are an error rather than a warning, and blocks in the "randomised" mode that only
 * bzip2 0.9.0 wrote are refused (no encoder since 1999 writes them).
 */
export class Bzip2Decoder {
  // Input: bytes [pos, len) of buf are unread; bitBuf holds bitCount further bits.
  private buf = new Uint8Array(0);
  private pos = 0;
  private len = 0;
  private bitBuf = 0;
  private bitCount = 0;
  private ended = false;
  /** Bytes consumed before buf[0], for error messages. */
  private consumedBefore = 0;

  private state: State = State.StreamHeader;
  private streamCount = 0;
  private blockCount = 0;
  private blockSize = 0;
  private combinedCrc = 0;

  // Current block.
  private storedBlockCrc = 0;
  private origPtr = 0;
  private readonly seqToUnseq = new Uint8Array(256);
  private nInUse = 0;
  private selectors = new Uint8Array(0);
  private nSelectors = 0;
  private readonly tables: HuffmanTable[] = [];
  private tt = new Uint32Array(0);

  // Symbol decoding, resumable between writes.
  private readonly mtf = new Uint8Array(256);
  private readonly counts = new Int32Array(256);
  private nblock = 0;
  private groupIndex = 0;
  private groupRemaining = 0;
  private table: HuffmanTable | undefined;
  private runLength = 0;
  private runWeight = 0;

  // Output of the current block, resumable between reads.
  private tPos = 0;
  private outRemaining = 0;
  private lastByte = -1;
  private sameCount = 0;
  private crc = 0;

  /** A name for the input in error messages. */
  constructor(private readonly source = 'bzip2 data') {}

  /** True once the last stream ended and all its output was read. */
  get finished(): boolean {
    return this.state === State.Done;
  }

  write(chunk: Uint8Array): void {
    if (this.ended) throw new Error('Bzip2Decoder: write after end');
    if (chunk.length === 0) return;
    if (this.buf.length - this.len < chunk.length) {
      // Slide the unread bytes down when that frees at least half the buffer, else grow it:
      // either way appending stays linear in the input size.
      const unread = this.len - this.pos;
      const needed = unread + chunk.length;
      if (needed <= this.buf.length && this.pos >= this.buf.length / 2) {
        this.buf.copyWithin(0, this.pos, this.len);
      } else {
        const next = new Uint8Array(Math.max(needed, this.buf.length * 2, 65536));
        next.set(this.buf.subarray(this.pos, this.len), 0);
        this.buf = next;
      }
      this.consumedBefore += this.pos;
      this.len = unread;
      this.pos = 0;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  end(): void {
    this.ended = true;
  }

  /**
   * The next piece of output, or null when more input is needed (or, after `end`, when
   * decoding is complete). Throws DEBSTASH_E_COMPRESSION_CORRUPT on invalid or truncated input.
   */
  read(): Uint8Array | null {
    try {
      for (;;) {
        switch (this.state) {
          case State.StreamHeader:
            if (!this.readStreamHeader()) return null;
            break;
          case State.BlockStart:
            if (!this.readBlockStart()) return null;
            break;
          case State.Symbols:
            if (!this.decodeSymbols()) return null;
            this.prepareOutput();
            break;
          case State.Output: {
            const out = this.produceOutput();
            if (out) return out;
            this.finishBlock();
            break;
          }
          case State.Done:
            return null;
        }
      }
    } catch (error) {
      if (error !== OUT_OF_INPUT) throw error;
      if (this.ended) throw this.corrupt('the data ends in the middle of a bzip2 stream (truncated)');
      // Only a block header can run past the lookahead we wait for, by being bigger than any
      // real encoder writes; the symbol loop checks its input before each symbol.
      throw this.corrupt(`a bzip2 block header is longer than ${HEADER_LOOKAHEAD} bytes`);
    }
  }

  // ---- input -------------------------------------------------------------------------------

  private availableBits(): number {
    return (this.len - this.pos) * 8 + this.bitCount;
  }

  /** Reads n <= 24 bits, most significant first. */
  private bits(n: number): number {
    while (this.bitCount < n) {
      if (this.pos >= this.len) throw OUT_OF_INPUT;
      this.bitBuf = (this.bitBuf << 8) | this.buf[this.pos++];
      this.bitCount += 8;
    }
    this.bitCount -= n;
    return (this.bitBuf >>> this.bitCount) & ((1 << n) - 1);
  }

  private bit(): number {
    if (this.bitCount === 0) {
      if (this.pos >= this.len) throw OUT_OF_INPUT;
      this.bitBuf = this.buf[this.pos++];
      this.bitCount = 8;
    }
    this.bitCount--;
    return (this.bitBuf >>> this.bitCount) & 1;
  }

  private bits32(): number {
    return ((this.bits(16) << 16) | this.bits(16)) >>> 0;
  }

  private offset(): number {
    return this.consumedBefore + this.pos - Math.floor(this.bitCount / 8);
  }

  private corrupt(what: string): DebstashError {
    return new DebstashError('DEBSTASH_E_COMPRESSION_CORRUPT', `${this.source}: ${what}, near byte ${this.offset()}`, {
      compression: 'bzip2',
      offset: this.offset(),
    });
  }

  // ---- stream and block framing --------------------------------------------------------------

  private readStreamHeader(): boolean {
    const unread = this.len - this.pos;
    if (unread < 4 && !this.ended) return false;
    if (unread === 0 && this.streamCount > 0) {
      this.state = State.Done;
      return true;
    }
    if (unread === 0) throw this.corrupt('the input is empty, not a bzip2 stream');
    const b = this.buf;
    const p = this.pos;
    const isHeader = unread >= 4 && b[p] === 0x42 && b[p + 1] === 0x5a && b[p + 2] === 0x68 && b[p + 3] >= 0x31 && b[p + 3] <= 0x39;
    if (!isHeader) {
      const isPrefix = unread < 4 && [0x42, 0x5a, 0x68].slice(0, unread).every((v, i) => b[p + i] === v);
      if (isPrefix) throw this.corrupt('the data ends in a bzip2 stream header (truncated)');
      throw this.corrupt(
        this.streamCount === 0 ? 'no bzip2 signature ("BZh1".."BZh9")' : 'unexpected data after the end of the bzip2 stream',
      );
    }
    const size = (b[p + 3] - 0x30) * 100000;
    if (this.tt.length < size) this.tt = new Uint32Array(size);
    this.blockSize = size;
    this.pos += 4;
    this.combinedCrc = 0;
    this.state = State.BlockStart;
    return true;
  }

  private readBlockStart(): boolean {
    if (!this.ended && this.availableBits() < HEADER_LOOKAHEAD * 8) return false;
    const hi = this.bits(24);
    const lo = this.bits(24);
    if (hi === 0x177245 && lo === 0x385090) {
      const stored = this.bits32();
      if (stored !== this.combinedCrc) {
        throw this.corrupt(`the stream CRC is ${hex(stored)} but the blocks give ${hex(this.combinedCrc)}`);
      }
      // The stream ends at the next byte boundary; the rest of this byte is padding.
      this.bitCount = 0;
      this.bitBuf = 0;
      this.streamCount++;
      this.state = State.StreamHeader;
      return true;
    }
    if (hi !== 0x314159 || lo !== 0x265359) throw this.corrupt('bad bzip2 block signature');
    this.readBlockHeader();
    this.beginSymbols();
    this.state = State.Symbols;
    return true;
  }

  private readBlockHeader(): void {
    this.storedBlockCrc = this.bits32();
    if (this.bit() !== 0) {
      throw new DebstashError(
        'DEBSTASH_E_COMPRESSION_UNSUPPORTED',
        `${this.source}: block ${this.blockCount + 1} uses the randomised mode of bzip2 0.9.0, which debstash does not read`,
        { compression: 'bzip2' },
      );
    }
    this.origPtr = this.bits(24);
    if (this.origPtr > 10 + this.blockSize) throw this.corrupt('the block start pointer is out of range');

    // Which byte values occur: a 16-bit map of 16-value ranges, then 16 bits per used range.
    const used16 = this.bits(16);
    let nInUse = 0;
    for (let i = 0; i < 16; i++) {
      if ((used16 & (0x8000 >>> i)) === 0) continue;
      const used = this.bits(16);
      for (let j = 0; j < 16; j++) if (used & (0x8000 >>> j)) this.seqToUnseq[nInUse++] = i * 16 + j;
    }
    if (nInUse === 0) throw this.corrupt('a block uses no byte values');
    this.nInUse = nInUse;
    const alphaSize = nInUse + 2;

    const nGroups = this.bits(3);
    if (nGroups < 2 || nGroups > MAX_GROUPS) throw this.corrupt(`${nGroups} Huffman tables (must be 2 to 6)`);

    // Selectors: which table codes each 50-symbol group, move-to-front then unary coded.
    // libbz2 reads up to 32767 but uses only the first 18002, which is all a block can need.
    const nSelectorsCoded = this.bits(15);
    if (nSelectorsCoded < 1) throw this.corrupt('a block has no Huffman table selectors');
    const nSelectors = Math.min(nSelectorsCoded, MAX_SELECTORS);
    if (this.selectors.length < nSelectors) this.selectors = new Uint8Array(MAX_SELECTORS);
    const order = [0, 1, 2, 3, 4, 5];
    for (let i = 0; i < nSelectorsCoded; i++) {
      let j = 0;
      while (this.bit()) {
        j++;
        if (j >= nGroups) throw this.corrupt('a Huffman table selector is out of range');
      }
      if (i >= nSelectors) continue;
      const table = order[j];
      for (; j > 0; j--) order[j] = order[j - 1];
      order[0] = table;
      this.selectors[i] = table;
    }
    this.nSelectors = nSelectors;

    // Code lengths, delta coded, then the canonical decoding tables.
    const lengths = new Uint8Array(alphaSize);
    for (let t = 0; t < nGroups; t++) {
      let current = this.bits(5);
      for (let i = 0; i < alphaSize; i++) {
        for (;;) {
          if (current < 1 || current > MAX_CODE_LENGTH) throw this.corrupt('a Huffman code length is out of range');
          if (!this.bit()) break;
          current += this.bit() ? -1 : 1;
        }
        lengths[i] = current;
      }
      this.tables[t] = buildTable(lengths, alphaSize, this.tables[t]);
    }
  }

  // ---- symbols: Huffman, run lengths, move-to-front ------------------------------------------

  private beginSymbols(): void {
    for (let i = 0; i < 256; i++) this.mtf[i] = i;
    this.counts.fill(0);
    this.nblock = 0;
    this.groupIndex = -1;
    this.groupRemaining = 0;
    this.runLength = 0;
    this.runWeight = 0;
  }

  /** Decodes symbols until the end of the block (true) or until input runs short (false). */
  private decodeSymbols(): boolean {
    const eob = this.nInUse + 1;
    const tt = this.tt;
    const limit = this.blockSize;
    const mtf = this.mtf;
    const counts = this.counts;
    const seqToUnseq = this.seqToUnseq;
    for (;;) {
      // A symbol takes at most 20 bits; stop here rather than in the middle of one.
      if (!this.ended && this.len - this.pos < 4) return false;
      if (this.groupRemaining === 0) {
        this.groupIndex++;
        if (this.groupIndex >= this.nSelectors) throw this.corrupt('a block has more symbol groups than selectors');
        this.groupRemaining = GROUP_SIZE;
        this.table = this.tables[this.selectors[this.groupIndex]];
      }
      this.groupRemaining--;
      const sym = this.decodeSymbol(this.table!);

      if (sym <= RUNB) {
        // Run of the front byte; the length is written in bijective base 2, RUNA=1, RUNB=2.
        if (this.runWeight === 0) this.runWeight = 1;
        if (this.runWeight >= MAX_RUN_WEIGHT) throw this.corrupt('a run length is too long');
        this.runLength += (sym + 1) * this.runWeight;
        this.runWeight *= 2;
        continue;
      }
      if (this.runWeight !== 0) {
        const byte = seqToUnseq[mtf[0]];
        let run = this.runLength;
        if (run > limit - this.nblock) throw this.corrupt('a block is longer than the stream header allows');
        counts[byte] += run;
        while (run-- > 0) tt[this.nblock++] = byte;
        this.runLength = 0;
        this.runWeight = 0;
      }
      if (sym === eob) break;
      if (this.nblock >= limit) throw this.corrupt('a block is longer than the stream header allows');
      const n = sym - 1;
      const front = mtf[n];
      if (n < 16) {
        for (let k = n; k > 0; k--) mtf[k] = mtf[k - 1];
      } else {
        mtf.copyWithin(1, 0, n);
      }
      mtf[0] = front;
      const byte = seqToUnseq[front];
      counts[byte]++;
      tt[this.nblock++] = byte;
    }
    if (this.origPtr >= this.nblock) throw this.corrupt('the block start pointer is out of range');
    return true;
  }

  private decodeSymbol(table: HuffmanTable): number {
    // Fast path: the next LOOKUP_BITS bits index a table of the short codes, which are nearly
    // all of them. Long codes, and the last few bits of the input, take the bit-by-bit path.
    while (this.bitCount <= 24 && this.pos < this.len) {
      this.bitBuf = (this.bitBuf << 8) | this.buf[this.pos++];
      this.bitCount += 8;
    }
    if (this.bitCount >= LOOKUP_BITS) {
      const entry = table.lookup[(this.bitBuf >>> (this.bitCount - LOOKUP_BITS)) & LOOKUP_MASK];
      if (entry !== 0) {
        this.bitCount -= entry & 31;
        return entry >>> 5;
      }
    }
    let length = table.minLength;
    let code = this.bits(length);
    const maxLength = table.maxLength;
    while (code > table.limit[length]) {
      if (length >= maxLength) throw this.corrupt('an invalid Huffman code');
      length++;
      code = (code << 1) | this.bit();
    }
    const index = code - table.base[length];
    if (index < 0 || index >= table.count) throw this.corrupt('an invalid Huffman code');
    return table.perm[index];
  }

  // ---- inverse Burrows-Wheeler transform and the initial run-length coding --------------------

  private prepareOutput(): void {
    const tt = this.tt;
    const nblock = this.nblock;
    // Starting position of each byte value in the sorted column.
    const next = new Int32Array(256);
    let sum = 0;
    for (let i = 0; i < 256; i++) {
      next[i] = sum;
      sum += this.counts[i];
    }
    for (let i = 0; i < nblock; i++) {
      const byte = tt[i] & 0xff;
      tt[next[byte]++] |= i << 8;
    }
    this.tPos = tt[this.origPtr] >>> 8;
    this.outRemaining = nblock;
    this.lastByte = -1;
    this.sameCount = 0;
    this.crc = 0xffffffff;
    this.state = State.Output;
  }

  /** The next piece of the current block's output, or null when the block is done. */
  private produceOutput(): Uint8Array | null {
    if (this.outRemaining === 0) return null;
    const out = new Uint8Array(OUTPUT_CHUNK + 255);
    const tt = this.tt;
    let o = 0;
    let tPos = this.tPos;
    let remaining = this.outRemaining;
    let last = this.lastByte;
    let same = this.sameCount;
    let crc = this.crc;
    while (remaining > 0 && o < OUTPUT_CHUNK) {
      const entry = tt[tPos];
      const byte = entry & 0xff;
      tPos = entry >>> 8;
      remaining--;
      if (same === 4) {
        // After four equal bytes comes a count of further copies.
        for (let k = 0; k < byte; k++) {
          out[o++] = last;
          crc = (crc << 8) ^ CRC_TABLE[(crc >>> 24) ^ last];
        }
        same = 0;
        last = -1;
        continue;
      }
      if (byte === last) same++;
      else {
        last = byte;
        same = 1;
      }
      out[o++] = byte;
      crc = (crc << 8) ^ CRC_TABLE[(crc >>> 24) ^ byte];
    }
    this.tPos = tPos;
    this.outRemaining = remaining;
    this.lastByte = last;
    this.sameCount = same;
    this.crc = crc;
    if (remaining === 0 && same === 4) throw this.corrupt('a block ends inside a run of equal bytes');
    if (o === 0) return null;
    // A small last piece should not pin the whole buffer.
    return o < out.length / 2 ? out.slice(0, o) : out.subarray(0, o);
  }

  private finishBlock(): void {
    const crc = ~this.crc >>> 0;
    this.blockCount++;
    if (crc !== this.storedBlockCrc) {
      throw this.corrupt(`block ${this.blockCount} has CRC ${hex(crc)} but its header says ${hex(this.storedBlockCrc)}`);
    }
    this.combinedCrc = (((this.combinedCrc << 1) | (this.combinedCrc >>> 31)) ^ crc) >>> 0;
    this.state = State.BlockStart;
  }
}

const enum State {
  StreamHeader,
  BlockStart,
  Symbols,
  Output,
  Done,
}

interface HuffmanTable {
  minLength: number;
  maxLength: number;
  /** Largest code of each length (-1 if none), indexed by length. */
  limit: Int32Array;
  /** Subtracted from a code of each length to index perm. */
  base: Int32Array;
  /** Symbols in canonical code order. */
  perm: Uint16Array;
  count: number;
  /** By the next LOOKUP_BITS bits: symbol << 5 | code length, for codes up to that long; 0 otherwise. */
  lookup: Int32Array;
}

/** Canonical Huffman decoding tables, as libbz2's BZ2_hbCreateDecodeTables lays codes out. */
function buildTable(lengths: Uint8Array, alphaSize: number, reuse: HuffmanTable | undefined): HuffmanTable {
  const table = reuse ?? {
    minLength: 0,
    maxLength: 0,
    limit: new Int32Array(MAX_CODE_LENGTH + 2),
    base: new Int32Array(MAX_CODE_LENGTH + 2),
    perm: new Uint16Array(MAX_ALPHA_SIZE),
    count: 0,
    lookup: new Int32Array(1 << LOOKUP_BITS),
  };
  let minLength = MAX_CODE_LENGTH;
  let maxLength = 0;
  for (let i = 0; i < alphaSize; i++) {
    if (lengths[i] < minLength) minLength = lengths[i];
    if (lengths[i] > maxLength) maxLength = lengths[i];
  }
  let p = 0;
  let code = 0;
  table.limit.fill(-1);
  for (let length = minLength; length <= maxLength; length++) {
    table.base[length] = code - p;
    for (let s = 0; s < alphaSize; s++) {
      if (lengths[s] === length) {
        table.perm[p++] = s;
        code++;
      }
    }
    table.limit[length] = code - 1;
    code <<= 1;
  }
  table.lookup.fill(0);
  for (let i = 0; i < p; i++) {
    const symbol = table.perm[i];
    const length = lengths[symbol];
    if (length > LOOKUP_BITS) break;
    const value = i + table.base[length];
    // Over-subscribed lengths give codes that do not fit; only the bit-by-bit path sees them.
    if (value >= 1 << length) continue;
    const shift = LOOKUP_BITS - length;
    table.lookup.fill((symbol << 5) | length, value << shift, (value + 1) << shift);
  }
  table.minLength = minLength;
  table.maxLength = maxLength;
  table.count = p;
  return table;
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

const OUT_OF_INPUT: unique symbol = Symbol('out of input');
/** More than the largest block header a valid stream can have (about 33 KB). */
const HEADER_LOOKAHEAD = 64 * 1024;
const OUTPUT_CHUNK = 64 * 1024;
const LOOKUP_BITS = 10;
const LOOKUP_MASK = (1 << LOOKUP_BITS) - 1;
const MAX_GROUPS = 6;
const MAX_SELECTORS = 18002;
const MAX_CODE_LENGTH = 20;
const MAX_ALPHA_SIZE = 258;
const GROUP_SIZE = 50;
const RUNB = 1;
const MAX_RUN_WEIGHT = 2 * 1024 * 1024;

/** CRC-32 as bzip2 computes it: polynomial 0x04C11DB7, most significant bit first. */
const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 24;
    for (let k = 0; k < 8; k++) c = c & 0x80000000 ? (c << 1) ^ 0x04c11db7 : c << 1;
    table[i] = c;
  }
  return table;
})();
