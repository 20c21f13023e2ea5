import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { Paragraph } from '../../src/deb/paragraph.js';
import { ParagraphBatchDecoder, ParagraphBatchEncoder } from '../../src/deb/paragraph-batch.js';

test('paragraphs survive encoding in batches: values, names, lines, texts sent once', () => {
  const a = parseDeb822('Package: a\nDescription: x\n more\n\nPackage: b\nVersion: 1  \n');
  const b = parseDeb822('Version: 2\nPackage: c\n');
  const built = Paragraph.from({ Package: 'd', Depends: 'e (>= 1)' });
  const encoder = new ParagraphBatchEncoder();
  const decoder = new ParagraphBatchDecoder();
  const batches = [encoder.encode([a[0]]), encoder.encode([a[1], ...b]), encoder.encode([built])];
  assert.deepEqual(
    batches.map((x) => x.texts.length),
    [1, 1, 1],
    'the text of a is sent once, though its paragraphs are in two batches',
  );
  // What a worker would send: structured clones.
  const out = batches.flatMap((batch) => decoder.decode(structuredClone(batch)));
  const expected = [...a, ...b, built];
  assert.equal(out.length, expected.length);
  out.forEach((p, i) => {
    assert.ok(p.equals(expected[i]), `paragraph ${i}`);
    assert.equal(p.line, expected[i].line);
    assert.ok(Object.isFrozen(p.names));
  });
  assert.equal(out[1].get('Version'), '1');
});
