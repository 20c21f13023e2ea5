import assert from 'node:assert/strict';
import { test } from 'node:test';
import { xzBlocksAlone } from '../../src/publish/chunk-codec.js';
import { XzBatcher } from '../../src/publish/xz-batcher.js';
import { packagesText, pseudoRandomBytes } from '../helpers/sample-data.js';

test('chunks batched into xz processes get byte for byte the blocks each gets alone', async () => {
  const text = Buffer.from(packagesText(2_500_000, 7));
  // Sizes in several dictionary classes (4 KiB minimum, 256 KiB, 512 KiB, 1 MiB), an empty
  // chunk, incompressible bytes, and presets mixed in one turn.
  const cuts = [0, 3_000, 200_000, 600_000, 600_000, 1_300_000, 1_700_000, 2_500_000];
  const pieces: Buffer[] = cuts.slice(1).map((end, i) => text.subarray(cuts[i], end));
  pieces.push(pseudoRandomBytes(300_000));
  const presets = pieces.map((_, i) => (i === 4 ? 6 : 3));
  // A small batch limit, so that several batches of several chunks run at once.
  const batcher = new XzBatcher(2, 700_000);
  const [batched, alone] = await Promise.all([
    Promise.all(pieces.map((p, i) => batcher.blocks(p, presets[i] as number))),
    Promise.all(pieces.map((p, i) => xzBlocksAlone(p, presets[i] as number))),
  ]);
  for (let i = 0; i < pieces.length; i++) {
    assert.deepEqual(batched[i]?.records, alone[i]?.records, `piece ${i}`);
    assert.ok(batched[i]?.bytes.equals(alone[i]?.bytes as Buffer), `piece ${i}: other bytes`);
  }
});

test('a preset out of range is refused before anything runs', async () => {
  const batcher = new XzBatcher(1);
  assert.throws(() => batcher.blocks(Buffer.from('x'), 10), RangeError);
});
