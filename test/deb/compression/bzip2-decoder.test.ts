import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bzip2Decoder } from '../../../src/deb/compression/bzip2-decoder.js';
import { decode, tool } from '../../helpers/codec-tools.js';
import { isCode } from '../../helpers/coded-error.js';
import { packagesText, pseudoRandomBytes } from '../../helpers/sample-data.js';

const bzip2 = (data: Uint8Array, level = 9): Buffer => tool('bzip2', [`-${level}`, '-c'], data);

/** Drives the decoder directly, `chunk` bytes at a time, reading everything after each write. */
function decodeDirect(data: Uint8Array, chunk: number): Buffer {
  const decoder = new Bzip2Decoder('test.bz2');
  const out: Uint8Array[] = [];
  const drain = (): void => {
    for (let piece = decoder.read(); piece; piece = decoder.read()) out.push(piece);
  };
  for (let i = 0; i < data.length; i += chunk) {
    decoder.write(data.subarray(i, i + chunk));
    drain();
  }
  decoder.end();
  drain();
  assert.ok(decoder.finished, 'the decoder reached the end of the stream');
  return Buffer.concat(out);
}

const isCorrupt = isCode('DEBSTASH_E_COMPRESSION_CORRUPT');

/** Corrupt, or (a flipped "randomised" flag) a block mode that is refused. */
function isRefused(error: unknown): boolean {
  return isCorrupt(error) || isCode('DEBSTASH_E_COMPRESSION_UNSUPPORTED')(error);
}

// Backpressure on the output is tested in decompress-stream.test.ts.

// 1 MiB: half pseudo-random bytes (blocks the encoder cannot shrink), half index-like text.
const mixed = Buffer.concat([pseudoRandomBytes(512 * 1024, 3), Buffer.from(packagesText(512 * 1024))]);

describe('Bzip2Decoder against the system bzip2', () => {
  for (let level = 1; level <= 9; level++) {
    test(`1 MiB of random data and text, bzip2 -${level}`, async () => {
      const compressed = bzip2(mixed, level);
      assert.ok((await decode('bzip2', compressed)).equals(mixed));
    });
  }

  test('edge inputs: empty, one byte, runs of every length around the 4-byte threshold', async () => {
    const runs = Buffer.concat(
      Array.from({ length: 300 }, (_, n) => Buffer.alloc(n, n % 3 === 0 ? 'a' : n % 3 === 1 ? 'b' : 0)),
    );
    const inputs = [Buffer.alloc(0), Buffer.from('x'), Buffer.from('aaaa'), Buffer.from('aaaab'), runs, Buffer.alloc(3_000_000, 0x61)];
    for (const input of inputs) {
      for (const level of [1, 9]) {
        assert.ok((await decode('bzip2', bzip2(input, level))).equals(input), `input of ${input.length} bytes, -${level}`);
      }
    }
  });

  test('all 256 byte values and a block that is exactly full', async () => {
    const all = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => (i * 7) & 0xff));
    assert.ok((await decode('bzip2', bzip2(all))).equals(all));
    const full = pseudoRandomBytes(100_000 - 19, 11);
    assert.ok((await decode('bzip2', bzip2(full, 1))).equals(full));
  });

  test('input in 1-byte and 7-byte pieces decodes the same', () => {
    const text = Buffer.from(packagesText(120 * 1024, 5));
    const compressed = bzip2(text, 1);
    assert.ok(decodeDirect(compressed, 1).equals(text));
    assert.ok(decodeDirect(compressed, 7).equals(text));
  });

  test('concatenated streams decode as one, like bzip2 -d', async () => {
    const a = Buffer.from(packagesText(200 * 1024, 1));
    const b = pseudoRandomBytes(150 * 1024, 2);
    const both = Buffer.concat([bzip2(a, 1), bzip2(Buffer.alloc(0)), bzip2(b, 9)]);
    assert.ok((await decode('bzip2', both, 4096)).equals(Buffer.concat([a, b])));
    assert.ok(tool('bzip2', ['-d', '-c'], both).equals(Buffer.concat([a, b])));
  });
});

describe('Bzip2Decoder on bad input', () => {
  const text = Buffer.from(packagesText(300 * 1024, 9));
  const good = bzip2(text, 1);

  test('truncation anywhere is DEBSTASH_E_COMPRESSION_CORRUPT', async () => {
    for (const cut of [0, 1, 3, 4, 10, 40, 1000, Math.floor(good.length / 2), good.length - 11, good.length - 4, good.length - 1]) {
      await assert.rejects(decode('bzip2', good.subarray(0, cut)), isCorrupt, `cut at ${cut}`);
    }
  });

  test('a flipped bit is caught (CRC or structure), never wrong output', async () => {
    for (const at of [4, 10, 14, 60, 500, 5000, Math.floor(good.length / 3), good.length - 20, good.length - 5]) {
      for (const bit of [0, 3, 7]) {
        const bad = Buffer.from(good);
        bad[at] ^= 1 << bit;
        await assert.rejects(decode('bzip2', bad), isRefused, `bit ${bit} of byte ${at}`);
      }
    }
  });

  test('not bzip2, trailing garbage', async () => {
    await assert.rejects(decode('bzip2', Buffer.from('Package: foo\n')), isCorrupt);
    await assert.rejects(decode('bzip2', Buffer.concat([good, Buffer.from('garbage')])), isCode('DEBSTASH_E_COMPRESSION_CORRUPT', /after the end of the bzip2 stream/));
  });

  test('the error says where', async () => {
    await assert.rejects(decode('bzip2', good.subarray(0, 1000)), (error: unknown) => {
      return isCorrupt(error) && /test\.bzip2/.test((error as Error).message) && /truncated/.test((error as Error).message);
    });
  });
});
