import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chunkStarts, DEFAULT_CHUNKING } from '../../src/publish/chunking.js';
import { entryOf, syntheticPackage } from './synthetic-repo.js';

function chunksOf(names: readonly string[], sizes: readonly number[]): string[] {
  const starts = chunkStarts(names, sizes);
  return starts.map((s, k) => names.slice(s, starts[k + 1] ?? names.length).join(','));
}

const packages = Array.from({ length: 12_000 }, (_, i) => syntheticPackage(i));
const rows = packages.map((p) => ({ name: p.name, size: entryOf(p).stanza.length + 1 })).sort((a, b) => (a.name < b.name ? -1 : 1));

test('chunks stay within bounds, never split a name, and are deterministic', () => {
  // Several stanzas of one name (versions, architectures) stay together.
  const names = rows.flatMap((r, i) => (i % 50 === 0 ? [r.name, r.name, r.name] : [r.name]));
  const sizes = rows.flatMap((r, i) => (i % 50 === 0 ? [r.size, r.size, r.size] : [r.size]));
  const starts = chunkStarts(names, sizes);
  assert.deepEqual(chunkStarts(names, sizes), starts);
  assert.equal(starts[0], 0);
  for (let k = 0; k < starts.length; k++) {
    const end = starts[k + 1] ?? names.length;
    if (k > 0) assert.notEqual(names[starts[k] - 1], names[starts[k]], 'a cut between stanzas of one name');
    const bytes = sizes.slice(starts[k], end).reduce((a, b) => a + b, 0);
    if (end < names.length) assert.ok(bytes >= DEFAULT_CHUNKING.minBytes, `chunk ${k} has ${bytes} bytes`);
    assert.ok(bytes < DEFAULT_CHUNKING.maxBytes + 10_000, `chunk ${k} has ${bytes} bytes`);
  }
  assert.ok(starts.length >= 8 && starts.length <= 40, `${starts.length} chunks for ${sizes.reduce((a, b) => a + b, 0)} bytes`);
  assert.deepEqual(chunkStarts([], []), []);
});

test('adding or removing one package changes one or two chunks, wherever it is', () => {
  const names = rows.map((r) => r.name);
  const sizes = rows.map((r) => r.size);
  const before = new Set(chunksOf(names, sizes));
  let worst = 0;
  for (let trial = 0; trial < 60; trial++) {
    const at = Math.floor((trial * names.length) / 60) + 7;
    // Remove the package at `at`...
    const removed = new Set(chunksOf([...names.slice(0, at), ...names.slice(at + 1)], [...sizes.slice(0, at), ...sizes.slice(at + 1)]));
    // ...or add a new one just before it.
    const added = new Set(chunksOf([...names.slice(0, at), `${names[at]}-new`, ...names.slice(at)], [...sizes.slice(0, at), 700, ...sizes.slice(at)]));
    for (const after of [removed, added]) {
      const changed = [...after].filter((c) => !before.has(c)).length;
      worst = Math.max(worst, changed);
    }
  }
  assert.ok(worst <= 2, `a one-package change touched ${worst} chunks`);
});
