import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { resolveTreePath } from '../../src/server/resolve-tree-path.js';

test('plain paths map to themselves without the leading slash', () => {
  assert.deepEqual(resolveTreePath('/dists/bookworm/InRelease'), { ok: true, relative: 'dists/bookworm/InRelease' });
  assert.deepEqual(resolveTreePath('/pool/main/g/gcc-12/libstdc++6_12.2.0-14_amd64.deb'), { ok: true, relative: 'pool/main/g/gcc-12/libstdc++6_12.2.0-14_amd64.deb' });
  assert.deepEqual(resolveTreePath('/pool/main/h/hello/hello_2.10-3%2Bb1_amd64.deb'), { ok: true, relative: 'pool/main/h/hello/hello_2.10-3+b1_amd64.deb' });
  assert.deepEqual(resolveTreePath('//dists//x/'), { ok: true, relative: 'dists/x' });
});

test('a path taken as plain gives what decoding it would give', () => {
  // Every byte percent-encoded takes the decoding path; a path without % must come out the same.
  const segment = fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !s.includes('/') && !s.includes('%'));
  fc.assert(
    fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), (segments) => {
      const encoded = segments.map((s) => [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''));
      assert.deepEqual(resolveTreePath(`/${segments.join('/')}`), resolveTreePath(`/${encoded.join('/')}`));
    }),
    { numRuns: 2000 },
  );
});
