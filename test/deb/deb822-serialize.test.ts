import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DebstashError } from '../../src/errors/debstash-error.js';
import type { ErrorCode } from '../../src/errors/codes.js';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { serializeDeb822, serializeParagraph } from '../../src/deb/deb822-serialize.js';
import { Paragraph } from '../../src/deb/paragraph.js';

function coded(code: ErrorCode, field?: string, message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof DebstashError, `expected a DebstashError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.details.field, field);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  };
}

const one = (name: string, value: string): Paragraph => new Paragraph([name], [value]);

describe('serializeParagraph', () => {
  test('writes "Name: value" lines in order, ending with a newline', () => {
    const p = Paragraph.from([
      ['Package', 'hello'],
      ['Version', '2.10-3'],
      ['Description', 'greeting\n long text\n .\n more'],
    ]);
    assert.equal(serializeParagraph(p), 'Package: hello\nVersion: 2.10-3\nDescription: greeting\n long text\n .\n more\n');
  });

  test('a value starting on the next line, or empty, follows the colon directly', () => {
    assert.equal(serializeParagraph(one('Files', '\n abc 12 f\n def 34 g')), 'Files:\n abc 12 f\n def 34 g\n');
    assert.equal(serializeParagraph(one('Empty', '')), 'Empty:\n');
  });

  test('names are written as spelled; continuation lines as given, tabs included', () => {
    assert.equal(serializeParagraph(one('x-Custom-FIELD', 'v\n\tTabbed\n   deep')), 'x-Custom-FIELD: v\n\tTabbed\n   deep\n');
  });

  test('a value keeps inner blanks, carriage returns and non-ASCII', () => {
    const p = one('Maintainer', 'Zoë  Ünïcödé\r<z@example.org> 😀');
    assert.equal(serializeParagraph(p), 'Maintainer: Zoë  Ünïcödé\r<z@example.org> 😀\n');
    assert.ok(parseDeb822(serializeParagraph(p))[0].equals(p));
  });

  describe('refuses what would not read back the same', () => {
    const badValues: readonly (readonly [string, string, RegExp])[] = [
      ['newline not followed by a blank (a new field)', 'a\nEvil: yes', /line 2 .* does not start with a space or tab/],
      ['trailing newline', 'a\n', /line 2 .* does not start with a space or tab/],
      ['empty continuation line (a paragraph break)', 'a\n\n b', /line 2/],
      ['blank continuation line', 'a\n \n b', /line 2 .* is blank or ends with blanks \(write an empty line as " \."\)/],
      ['tab-only continuation line', 'a\n\t', /blank/],
      ['trailing blank on a continuation line', 'a\n b ', /ends with blanks/],
      ['trailing CR on a continuation line', 'a\n b\r', /ends with blanks/],
      ['leading blank on the first line', ' a', /blanks around its first line/],
      ['trailing blank on the first line', 'a\t', /blanks around its first line/],
      ['trailing CR on the first line', 'a\r\n b', /blanks around its first line/],
      ['a value of only blanks', '  ', /blanks around its first line/],
    ];
    for (const [what, value, message] of badValues) {
      test(what, () => {
        assert.throws(() => serializeParagraph(one('Field', value)), coded('DEBSTASH_E_DEB822_SYNTAX', 'Field', message));
      });
    }

    const badNames: readonly (readonly [string, string])[] = [
      ['empty name', ''],
      ['colon', 'A:B'],
      ['space', 'A B'],
      ['tab', 'A\tB'],
      ['newline', 'A\nB'],
      ['non-ASCII', 'Prénom'],
      ['DEL', 'A\u007f'],
      ['leading #', '#Comment'],
      ['leading -', '-Field'],
    ];
    for (const [what, name] of badNames) {
      test(`field name: ${what}`, () => {
        assert.throws(() => serializeParagraph(one(name, 'v')), coded('DEBSTASH_E_DEB822_SYNTAX', name));
      });
    }

    test('repeated names, whatever their case', () => {
      const p = new Paragraph(['Package', 'Version', 'PACKAGE'], ['a', '1', 'b']);
      assert.throws(() => serializeParagraph(p), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', 'PACKAGE', /"PACKAGE" repeats "Package"/));
      const many = Array.from({ length: 100 }, (_, i) => `F${i}`);
      assert.throws(
        () => serializeParagraph(new Paragraph([...many, 'f42'], [...many, 'x'])),
        coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', 'f42'),
      );
      assert.doesNotThrow(() => serializeParagraph(new Paragraph(many, many)));
    });

    test('names are checked again unless the array is frozen (and so cannot change)', () => {
      const names = ['A', 'B'];
      const p = new Paragraph(names, ['1', '2']);
      assert.equal(serializeParagraph(p), 'A: 1\nB: 2\n');
      names[1] = 'a';
      assert.throws(() => serializeParagraph(p), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', 'a'));
      const frozen = Object.freeze(['X', 'x']);
      assert.throws(() => serializeParagraph(new Paragraph(frozen, ['1', '2'])), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD'));
      assert.throws(() => serializeParagraph(new Paragraph(frozen, ['1', '2'])), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD'), 'still');
    });

    test('an empty paragraph', () => {
      assert.throws(() => serializeParagraph(new Paragraph([], [])), coded('DEBSTASH_E_DEB822_SYNTAX', undefined, /empty paragraph/));
    });

    test('the error names the paragraph line when it came from a file', () => {
      const [p] = parseDeb822('\nA: 1\n');
      assert.throws(() => serializeParagraph(p.with('B', 'x\ny')), (e: unknown) => {
        assert.ok(e instanceof DebstashError);
        assert.equal(e.details.line, 2);
        assert.match(e.message, /^cannot write deb822: paragraph of line 2: /);
        return true;
      });
    });
  });

  test('values with " ." for empty lines are fine', () => {
    const p = one('Description', 'short\n long\n .\n more');
    assert.ok(parseDeb822(serializeParagraph(p))[0].equals(p));
  });
});

describe('serializeDeb822', () => {
  test('separates paragraphs with one blank line', () => {
    const ps = [one('A', '1'), Paragraph.from({ B: '2', C: '\n x' }), one('D', '')];
    assert.equal(serializeDeb822(ps), 'A: 1\n\nB: 2\nC:\n x\n\nD:\n');
  });

  test('no paragraphs, no text', () => {
    assert.equal(serializeDeb822([]), '');
  });

  test('takes any iterable', () => {
    function* gen(): Generator<Paragraph> {
      yield one('A', '1');
      yield one('B', '2');
    }
    assert.equal(serializeDeb822(gen()), 'A: 1\n\nB: 2\n');
  });

  test('what it writes parses back to the same paragraphs', () => {
    const ps = [
      Paragraph.from({ Package: 'a', Description: 'x\n y\n .\n z' }),
      Paragraph.from({ SHA256: '\n 00 1 f\n 11 2 g', 'Empty-Field': '' }),
    ];
    const back = parseDeb822(serializeDeb822(ps));
    assert.equal(back.length, 2);
    back.forEach((p, i) => assert.ok(p.equals(ps[i])));
  });
});
