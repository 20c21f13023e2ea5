import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compressChunk, xzStream, xzStreamInProcess } from '../../src/publish/chunk-codec.js';
import { assembleXzStream, crc32, splitXzStream } from '../../src/publish/xz-container.js';
import { packagesText, pseudoRandomBytes } from '../helpers/sample-data.js';

/** Runs `xz` on the data as a file (so that `xz -t` and `xz -l` can read it). */
function xz(args: readonly string[], data: Uint8Array): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'debstash-xz-'));
  try {
    writeFileSync(join(dir, 'f.xz'), data);
    return execFileSync('xz', [...args, join(dir, 'f.xz')], { maxBuffer: 1 << 28 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('crc32 is the IEEE CRC-32', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('blocks from separately compressed pieces make one valid multi-block stream that xz decodes to the whole', async () => {
  const text = Buffer.from(packagesText(600_000));
  // Uneven pieces, one empty, one of a single byte, and incompressible bytes.
  const pieces = [text.subarray(0, 250_000), Buffer.alloc(0), text.subarray(250_000, 250_001), pseudoRandomBytes(70_000), text.subarray(250_001)];
  const chunks = await Promise.all(pieces.map((p, i) => compressChunk(p, { xzPreset: i % 2 === 0 ? 3 : 6 })));
  const file = Buffer.concat(assembleXzStream(chunks.map((c) => c.xz)));
  xz(['-t'], file);
  assert.deepEqual(xz(['-dc'], file), Buffer.concat(pieces));
  const list = xz(['--robot', '-l'], file).toString();
  assert.match(list, /^file\t1\t4\t/m, list); // one stream, four blocks (the empty piece has none)
  // The gzip members, concatenated, are one gzip file of the whole.
  assert.deepEqual(execFileSync('gzip', ['-dc'], { input: Buffer.concat(chunks.map((c) => c.gz)), maxBuffer: 1 << 28 }), Buffer.concat(pieces));
  // And the assembled stream splits back into the same blocks.
  const again = splitXzStream(file);
  assert.equal(again.records.length, 4);
  assert.deepEqual(again.bytes, Buffer.concat(chunks.map((c) => c.xz.bytes)));
});

test('a stream of no blocks is a valid empty .xz file', () => {
  const file = Buffer.concat(assembleXzStream([]));
  xz(['-t'], file);
  assert.equal(xz(['-dc'], file).length, 0);
});

test('compression is deterministic', async () => {
  const data = Buffer.from(packagesText(100_000, 3));
  const [a, b] = await Promise.all([compressChunk(data), compressChunk(data)]);
  assert.deepEqual(a.gz, b.gz);
  assert.deepEqual(a.xz.bytes, b.xz.bytes);
});

test('the xz program and liblzma in this process write the same bytes, whichever a publish used', async () => {
  const text = Buffer.from(packagesText(300_000, 5));
  // Sizes around the dictionary halving (4 KiB minimum, 256 KiB preset 0), empty, incompressible.
  const inputs = [text, text.subarray(0, 3000), text.subarray(0, 200_000), Buffer.alloc(0), pseudoRandomBytes(50_000)];
  for (const data of inputs) {
    for (const preset of [0, 3, 6, 9]) {
      const [byProgram, inProcess] = await Promise.all([xzStream(data, preset), xzStreamInProcess(data, preset)]);
      assert.deepEqual(byProgram, inProcess, `${data.length} bytes at preset ${preset}`);
    }
  }
  await assert.rejects(xzStream(text, 10), RangeError);
});

test('splitXzStream refuses what is not one single stream', async () => {
  const one = await xzStream(Buffer.from('hello\n'), 3);
  assert.throws(() => splitXzStream(Buffer.concat([one, one])), /several streams|index|footer/);
  assert.throws(() => splitXzStream(Buffer.concat([one, Buffer.alloc(4)])), /footer/);
  assert.throws(() => splitXzStream(Buffer.from('not xz at all, not xz at all')), /magic/);
  const damaged = Buffer.from(one);
  damaged[damaged.length - 14] ^= 0xff; // inside the index CRC
  assert.throws(() => splitXzStream(damaged), /CRC|index/);
});
