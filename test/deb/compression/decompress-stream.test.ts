import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Compression } from '../../../src/deb/compression/compression.js';
import { decompressBuffer } from '../../../src/deb/compression/decompress-buffer.js';
import { decompressStream } from '../../../src/deb/compression/decompress-stream.js';
import { decode, tool, xzList } from '../../helpers/codec-tools.js';
import { isCode } from '../../helpers/coded-error.js';
import { packagesText, pseudoRandomBytes } from '../../helpers/sample-data.js';

const text = Buffer.from(packagesText(600 * 1024, 21));
const binary = pseudoRandomBytes(200 * 1024, 22);

/** The system tool's compression of data, for each format debstash reads. */
const encoders: Record<Exclude<Compression, 'none'>, (data: Uint8Array) => Buffer> = {
  gzip: (data) => tool('gzip', ['-c', '-n'], data),
  xz: (data) => tool('xz', ['-c'], data),
  bzip2: (data) => tool('bzip2', ['-c'], data),
  zstd: (data) => tool('zstd', ['-c', '-q'], data),
};
const formats = Object.keys(encoders) as Exclude<Compression, 'none'>[];

const corruptError = isCode('DEBSTASH_E_COMPRESSION_CORRUPT');

describe('decompressStream reads what the system tools write', () => {
  for (const format of formats) {
    test(format, async () => {
      for (const data of [text, binary, Buffer.from('x')]) {
        assert.ok((await decode(format, encoders[format](data))).equals(data));
      }
      // Tiny pieces cost a round trip each in the native decoders: a smaller input will do.
      const small = text.subarray(0, 48 * 1024);
      assert.ok((await decode(format, encoders[format](small), 13)).equals(small), 'in 13-byte pieces');
    });
  }

  test('none passes bytes through', async () => {
    assert.ok((await decode('none', text)).equals(text));
  });

  test('gzip: several members in a row, as APT reads them', async () => {
    const joined = Buffer.concat([encoders.gzip(text), encoders.gzip(binary)]);
    assert.ok((await decode('gzip', joined, 1000)).equals(Buffer.concat([text, binary])));
  });

  test('xz: a multi-block stream (xz -T2) and several streams in a row', async () => {
    const blocks = tool('xz', ['-c', '-T2', '--block-size=65536'], text);
    assert.match(xzList(blocks), /\ntotals\t1\t([2-9]|\d\d+)\t/, 'one stream, several blocks');
    assert.ok((await decode('xz', blocks)).equals(text));
    const streams = Buffer.concat([encoders.xz(text), encoders.xz(binary)]);
    assert.ok((await decode('xz', streams)).equals(Buffer.concat([text, binary])));
  });

  test('zstd: several frames in a row, and a skippable frame', async () => {
    const skippable = Buffer.from([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
    const joined = Buffer.concat([encoders.zstd(text), skippable, encoders.zstd(binary)]);
    assert.ok((await decode('zstd', joined, 5000)).equals(Buffer.concat([text, binary])));
  });

  test('decompressBuffer', async () => {
    assert.ok((await decompressBuffer(encoders.xz(text), 'xz')).equals(text));
    assert.ok((await decompressBuffer(text, 'none')).equals(text));
  });
});

test('xz known to be small (a control.tar.xz) is decoded in this process, with the same bytes and the same coded errors', async () => {
  const small = text.subarray(0, 20 * 1024);
  const compressed = encoders.xz(small);
  const run = async (bytes: Uint8Array): Promise<Buffer> => {
    const stream = decompressStream('xz', { source: 'control.tar.xz', inputBytes: bytes.length });
    assert.notEqual(stream.constructor.name, 'XzProcessDecoder', 'no xz process for a few KiB');
    stream.end(bytes);
    const out: Buffer[] = [];
    for await (const chunk of stream) out.push(chunk as Buffer);
    return Buffer.concat(out);
  };
  assert.ok((await run(compressed)).equals(small));
  await assert.rejects(run(compressed.subarray(0, compressed.length - 9)), corruptError);
});

describe('decompressStream on bad input: DEBSTASH_E_COMPRESSION_CORRUPT', () => {
  for (const format of formats) {
    test(`${format}: truncated at several points`, async () => {
      const compressed = encoders[format](text);
      for (const cut of [0, 1, 5, 20, Math.floor(compressed.length / 2), compressed.length - 9, compressed.length - 1]) {
        await assert.rejects(decode(format, compressed.subarray(0, cut)), corruptError, `${format} cut at ${cut} of ${compressed.length}`);
      }
    });

    test(`${format}: damaged data`, async () => {
      const compressed = encoders[format](text);
      const damaged = Buffer.from(compressed);
      for (let i = Math.floor(damaged.length / 2); i < damaged.length / 2 + 64; i++) damaged[i] ^= 0x55;
      await assert.rejects(decode(format, damaged), corruptError);
      await assert.rejects(decode(format, Buffer.from('Package: not compressed at all\n')), corruptError);
    });
  }

  test('the message names the source and says truncated', async () => {
    const compressed = encoders.xz(text);
    await assert.rejects(decode('xz', compressed.subarray(0, 100)), (error: unknown) => {
      return corruptError(error) && /test\.xz/.test((error as Error).message) && /truncated/.test((error as Error).message);
    });
  });

  test('an unknown compression is DEBSTASH_E_COMPRESSION_UNSUPPORTED', () => {
    assert.throws(
      () => decompressStream('lzma' as Compression),
      isCode('DEBSTASH_E_COMPRESSION_UNSUPPORTED'),
    );
  });
});

describe('decompressStream honours backpressure', () => {
  for (const format of formats) {
    test(`${format}: 32 MiB of zeros is not decoded ahead of the reader`, async () => {
      const bomb = encoders[format](Buffer.alloc(32 * 1024 * 1024));
      const stream = decompressStream(format);
      stream.end(bomb);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(stream.readableLength <= 4 * 1024 * 1024, `${stream.readableLength} bytes decoded ahead`);
      let total = 0;
      for await (const chunk of stream) total += (chunk as Buffer).length;
      assert.equal(total, 32 * 1024 * 1024);
    });
  }
});
