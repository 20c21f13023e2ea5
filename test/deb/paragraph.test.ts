import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Paragraph, paragraphFromRanges, sameNameIgnoringCase } from '../../src/deb/paragraph.js';

const sample = (): Paragraph =>
  new Paragraph(['Package', 'Version', 'Description'], ['hello', '2.10-3', 'greeting\n with a second line'], 7);

describe('Paragraph', () => {
  test('keeps names, values and line as given', () => {
    const p = sample();
    assert.deepEqual(p.names, ['Package', 'Version', 'Description']);
    assert.deepEqual(p.values, ['hello', '2.10-3', 'greeting\n with a second line']);
    assert.equal(p.line, 7);
    assert.equal(p.size, 3);
    assert.equal(new Paragraph([], []).line, 0, 'built in code: line 0');
  });

  test('rejects names and values of different lengths', () => {
    assert.throws(() => new Paragraph(['A', 'B'], ['1']), RangeError);
  });

  test('get and has ignore ASCII case, names stay as written', () => {
    const p = sample();
    assert.equal(p.get('Package'), 'hello');
    assert.equal(p.get('package'), 'hello');
    assert.equal(p.get('PACKAGE'), 'hello');
    assert.equal(p.get('version'), '2.10-3');
    assert.equal(p.get('Packag'), undefined);
    assert.equal(p.get('Packages'), undefined);
    assert.equal(p.has('dEsCrIpTiOn'), true);
    assert.equal(p.has('Source'), false);
    assert.equal(p.indexOf('VERSION'), 1);
    assert.equal(p.names[0], 'Package');
  });

  test('case folding is ASCII only', () => {
    assert.equal(sameNameIgnoringCase('Kind', '\u212Aind'), false, 'KELVIN SIGN is not K');
    assert.equal(sameNameIgnoringCase('a-b_1', 'A-B_1'), true);
    assert.equal(sameNameIgnoringCase('@', '`'), false, '0x40 and 0x60 differ only in the case bit but are not letters');
    assert.equal(sameNameIgnoringCase('[', '{'), false);
  });

  test('iterates [name, value] in order; toRecord and toJSON give the fields', () => {
    const p = sample();
    assert.deepEqual([...p], [
      ['Package', 'hello'],
      ['Version', '2.10-3'],
      ['Description', 'greeting\n with a second line'],
    ]);
    const record = p.toRecord();
    assert.equal(Object.getPrototypeOf(record), null);
    assert.deepEqual({ ...record }, { Package: 'hello', Version: '2.10-3', Description: 'greeting\n with a second line' });
    assert.deepEqual(JSON.parse(JSON.stringify(p)), { ...record });
  });

  test('a field named __proto__ is just data in toRecord', () => {
    const p = new Paragraph(['__proto__'], ['x']);
    assert.equal(p.toRecord()['__proto__'], 'x');
  });

  test('with replaces in place (taking the new spelling) or appends, without removes; both copy', () => {
    const p = sample();
    const q = p.with('version', '3.0');
    assert.deepEqual([...q], [
      ['Package', 'hello'],
      ['version', '3.0'],
      ['Description', 'greeting\n with a second line'],
    ]);
    const r = p.with('Section', 'utils');
    assert.deepEqual(r.names, ['Package', 'Version', 'Description', 'Section']);
    assert.equal(r.get('section'), 'utils');
    const s = p.without('VERSION');
    assert.deepEqual(s.names, ['Package', 'Description']);
    assert.equal(p.without('Nope'), p);
    assert.deepEqual(p.names, ['Package', 'Version', 'Description'], 'the original is untouched');
    assert.equal(q.line, 7);
  });

  test('from builds from pairs or a record', () => {
    const a = Paragraph.from([
      ['Types', 'deb'],
      ['URIs', 'http://mirror.invalid/debian'],
    ]);
    const b = Paragraph.from({ Types: 'deb', URIs: 'http://mirror.invalid/debian' });
    assert.ok(a.equals(b));
    assert.equal(a.line, 0);
  });

  test('equals compares names as written and values, not lines', () => {
    assert.ok(sample().equals(new Paragraph(sample().names, sample().values, 99)));
    assert.ok(!sample().equals(sample().with('Version', '1')));
    assert.ok(!sample().equals(sample().with('version', '2.10-3')), 'spelling of names counts');
    assert.ok(!sample().equals(sample().without('Version')));
  });

  test('valueAt checks its index', () => {
    assert.equal(sample().valueAt(2), 'greeting\n with a second line');
    assert.throws(() => sample().valueAt(3), RangeError);
    assert.throws(() => sample().valueAt(-1), RangeError);
  });

  test('a paragraph over ranges slices values on demand and can hold extras', () => {
    const src = 'xxPackage: hello\nDescription: hi\n there\n';
    const ranges = new Int32Array([0, 0, 11, 16, -1, 0, 0, 0]);
    const p = paragraphFromRanges(['Package', 'Description'], 3, src, ranges, 2, ['hi\n there']);
    assert.equal(p.get('package'), 'hello');
    assert.equal(p.valueAt(1), 'hi\n there');
    assert.deepEqual(p.values, ['hello', 'hi\n there']);
    assert.equal(p.values, p.values, 'values is built once');
    assert.equal(p.line, 3);
    assert.ok(p.equals(new Paragraph(['Package', 'Description'], ['hello', 'hi\n there'])));
    assert.deepEqual([...p.with('Package', 'bye')], [
      ['Package', 'bye'],
      ['Description', 'hi\n there'],
    ]);
  });
});
