import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { compressStream } from '../../../src/deb/compression/compress-stream.js';
import type { EncodableCompression } from '../../../src/deb/compression/compression.js';
import { tool, xzList } from '../../helpers/codec-tools.js';
import { packagesText } from '../../helpers/sample-data.js';

async function compress(data: Buffer, compression: EncodableCompression, options: { level?: number; threads?: number } = {}): Promise<Buffer> {
  const out: Buffer[] = [];
  // In 64 KiB pieces, as a file would be streamed.
  for await (const chunk of Readable.from(pieces(data, 65536)).pipe(compressStream(compression, options))) out.push(chunk as Buffer);
  return Buffer.concat(out);
}

function* pieces(data: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

// Like a real Packages index: 1.5 MiB of stanzas.
const index = Buffer.from(packagesText(1536 * 1024, 3));

describe('compressStream', () => {
  test('gzip compresses an index at least 4x and gzip -d reads it', async () => {
    const gz = await compress(index, 'gzip');
    assert.ok(index.length / gz.length >= 4, `ratio ${(index.length / gz.length).toFixed(2)}`);
    assert.ok(tool('gzip', ['-d', '-c'], gz).equals(index));
  });

  test('xz compresses an index at least 4x and xz -d reads it', async () => {
    const xz = await compress(index, 'xz');
    assert.ok(index.length / xz.length >= 4, `ratio ${(index.length / xz.length).toFixed(2)}`);
    assert.ok(tool('xz', ['-d', '-c'], xz).equals(index));
  });

  test('xz with threads writes one stream of several blocks', async () => {
    const xz = await compress(Buffer.concat([index, index, index, index]), 'xz', { level: 1, threads: 2 });
    const listing = xzList(xz);
    const totals = listing.split('\n').find((line) => line.startsWith('totals'))!.split('\t');
    assert.equal(totals[1], '1', 'one stream');
    assert.ok(Number(totals[2]) > 1, `${totals[2]} blocks`);
    assert.ok(tool('xz', ['-d', '-c'], xz).equals(Buffer.concat([index, index, index, index])));
  });

  test('the output is deterministic', async () => {
    assert.ok((await compress(index, 'gzip')).equals(await compress(index, 'gzip')));
    const small = index.subarray(0, 256 * 1024);
    assert.ok((await compress(small, 'xz')).equals(await compress(small, 'xz')));
  });

  test('none passes through; a bad level is refused', async () => {
    assert.ok((await compress(index, 'none')).equals(index));
    assert.throws(() => compressStream('gzip', { level: 12 }), RangeError);
  });
});
