import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { compileQuery } from '../../src/query/compile-query.js';
import { KNOWN_QUERY_FIELDS, queryFieldNames, suggestFieldName } from '../../src/query/field-hint.js';
import { splitFilterTerms, tallyFilter } from '../../src/query/filter-terms.js';
import { parseQuery } from '../../src/query/parse-query.js';
import { queryTargetFromParagraph } from '../../src/query/query-target.js';
import { isCode } from '../helpers/coded-error.js';

const targets = parseDeb822(`Package: base-files
Version: 12.4
Architecture: amd64
Priority: required

Package: hello
Version: 2.10-3
Architecture: amd64
Priority: optional
Provides: greeter

Package: vim
Version: 9.0
Architecture: amd64
Priority: important
`).map((p) => queryTargetFromParagraph(p));

const texts = (filter: string): string[] => splitFilterTerms(filter).terms.map((t) => t.text);
const unmatched = (filter: string): string[] => {
  const tally = tallyFilter(filter);
  for (const t of targets) tally.matches(t);
  return tally.unmatched().map((t) => t.text);
};

describe('splitFilterTerms', () => {
  test('splits at the top-level "|" and keeps each term as written', () => {
    assert.deepEqual(texts('Priority (requird) | hello'), ['Priority (requird)', 'hello']);
    assert.deepEqual(texts('a|b , c|  (d | e)'), ['a', 'b , c', '(d | e)']);
    assert.equal(splitFilterTerms('a | b').join, 'or');
  });

  test('without a top-level "|", splits at the top-level ","', () => {
    assert.deepEqual(texts('Priority (required), !(a | b)'), ['Priority (required)', '!(a | b)']);
    assert.equal(splitFilterTerms('a, b').join, 'and');
  });

  test('looks through parentheses around the whole filter, not around its first term', () => {
    assert.deepEqual(texts('((a | b))'), ['a', 'b']);
    assert.deepEqual(texts('(a | b) | c'), ['(a | b)', 'c']);
    assert.deepEqual(texts('(a), (b)'), ['(a)', '(b)']);
    assert.deepEqual(texts('hello'), ['hello']);
  });

  test('a "|" or "," inside a quoted word or a regexp is not a separator', () => {
    assert.deepEqual(texts('Name (~ "a|b,c") | d'), ['Name (~ "a|b,c")', 'd']);
  });

  test('a filter that does not parse is refused as a whole', () => {
    assert.throws(() => splitFilterTerms('a | (b'), isCode('DEBSTASH_E_QUERY_SYNTAX'));
  });
});

describe('tallyFilter', () => {
  test('names the "|" alternatives that matched nothing', () => {
    assert.deepEqual(unmatched('Priority (requird) | hello'), ['Priority (requird)']);
    assert.deepEqual(unmatched('Priorty (required) | hello | nosuch'), ['Priorty (required)', 'nosuch']);
  });

  test('names the "," conjuncts that matched nothing, even once the result is decided', () => {
    assert.deepEqual(unmatched('Priority (optional), nosuch'), ['nosuch']);
    assert.deepEqual(unmatched('nosuch, Priority (optional)'), ['nosuch']);
  });

  test('a filter whose terms all match has nothing to report', () => {
    assert.deepEqual(unmatched('Priority (required) | hello | greeter'), []);
    assert.deepEqual(unmatched('Priority (important), vim'), []);
  });

  test('selects exactly what the whole filter selects', () => {
    for (const filter of ['Priority (requird) | hello', 'hello | Priority (required)', 'Priority (optional), nosuch', '!hello, !vim', '(vim | hello), Priority (optional)']) {
      const tally = tallyFilter(filter);
      const whole = compileQuery(parseQuery(filter));
      assert.deepEqual(targets.map(tally.matches), targets.map(whole), filter);
    }
  });
});

describe('field hints', () => {
  test('a misspelt or miscased field gets the known one', () => {
    assert.equal(suggestFieldName('Priorty', KNOWN_QUERY_FIELDS), 'Priority');
    assert.equal(suggestFieldName('PRIORITY', KNOWN_QUERY_FIELDS), 'Priority');
    assert.equal(suggestFieldName('Sectoin', KNOWN_QUERY_FIELDS), 'Section');
    assert.equal(suggestFieldName('$Sorce', KNOWN_QUERY_FIELDS), '$Source');
  });

  test('a known field, or one far from every known field, gets none', () => {
    assert.equal(suggestFieldName('Priority', KNOWN_QUERY_FIELDS), undefined);
    assert.equal(suggestFieldName('X-Custom-Thing', KNOWN_QUERY_FIELDS), undefined);
    assert.equal(suggestFieldName('Tug', KNOWN_QUERY_FIELDS), 'Tag');
    assert.equal(suggestFieldName('Zzz', KNOWN_QUERY_FIELDS), undefined);
  });

  test('fields seen in the index count as known', () => {
    assert.equal(suggestFieldName('X-Cutsom', [...KNOWN_QUERY_FIELDS, 'X-Custom']), 'X-Custom');
  });

  test('queryFieldNames lists the fields of a term once each', () => {
    assert.deepEqual(queryFieldNames(parseQuery('Priorty (required), !(Section (libs) | Priorty (important) | hello)')), ['Priorty', 'Section']);
  });
});
