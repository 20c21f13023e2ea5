import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { parseQuery } from '../../src/query/parse-query.js';
import type { QueryNode } from '../../src/query/query-ast.js';
import { tokenizeQuery } from '../../src/query/tokenize-query.js';

/** The tree with every operator parenthesized: `(a | (b , c))`. */
function shape(node: QueryNode): string {
  switch (node.kind) {
    case 'or':
      return `(${shape(node.left)} | ${shape(node.right)})`;
    case 'and':
      return `(${shape(node.left)} , ${shape(node.right)})`;
    case 'not':
      return `!${shape(node.operand)}`;
    case 'field':
    case 'package': {
      const name = node.kind === 'field' ? node.field : node.name;
      const cond = node.condition === undefined ? '' : `[${node.condition.op}${node.condition.value}]`;
      const arch = node.kind === 'package' && node.arch !== undefined ? `{${node.arch}}` : '';
      return `${name}${cond}${arch}`;
    }
    case 'key':
      return `<${node.name}|${node.version}|${node.arch}>`;
  }
}

describe('precedence and associativity', () => {
  const table: ReadonlyArray<readonly [string, string]> = [
    ['a | b, c', '(a | (b , c))'],
    ['a, b | c', '((a , b) | c)'],
    ['a, b | c, d', '((a , b) | (c , d))'],
    ['a | b | c', '(a | (b | c))'],
    ['a, b, c', '(a , (b , c))'],
    ['(a | b) | c', '((a | b) | c)'],
    ['(a, b), c', '((a , b) , c)'],
    ['!a, b', '(!a , b)'],
    ['!a | b', '(!a | b)'],
    ['!(a | b)', '!(a | b)'],
    ['!(a, b) | c', '(!(a , b) | c)'],
    ['!!a', '!!a'],
    ['! ! a', '!!a'],
    ['a, !b | !c, d', '((a , !b) | (!c , d))'],
    ['(a | b), (c | d)', '((a | b) , (c | d))'],
    ['((a))', 'a'],
    ['a | (b, (c | !d))', '(a | (b , (c | !d)))'],
    ['Priority (required) | Priority (important), !Section (libs)', '(Priority[=required] | (Priority[=important] , !Section[=libs]))'],
    ['nginx (>= 1.2) {amd64}, !$Architecture (i386)', '(nginx[>=1.2]{amd64} , !$Architecture[=i386])'],
  ];
  for (const [query, expected] of table) {
    test(query, () => assert.equal(shape(parseQuery(query)), expected));
  }
});

describe('terms', () => {
  test('a word is a field when it starts with $ or an upper-case letter and has no _', () => {
    assert.deepEqual(parseQuery('Priority'), { kind: 'field', field: 'Priority' });
    assert.deepEqual(parseQuery('$Version'), { kind: 'field', field: '$Version' });
    assert.deepEqual(parseQuery('$foo_bar'), { kind: 'field', field: '$foo_bar' });
    assert.deepEqual(parseQuery('Élan (x)'), { kind: 'field', field: 'Élan', condition: { op: '=', value: 'x' } });
    assert.deepEqual(parseQuery('priority'), { kind: 'package', name: 'priority' });
    assert.deepEqual(parseQuery('Foo_bar'), { kind: 'package', name: 'Foo_bar' });
    assert.deepEqual(parseQuery('"Priority" (x)'), { kind: 'field', field: 'Priority', condition: { op: '=', value: 'x' } });
  });

  test('operators: < is <=, > is >=, no operator is =', () => {
    const ops = ['<<', '<', '<=', '=', '>=', '>', '>>', '%', '~'].map((op) => {
      const q = parseQuery(`a (${op} 1)`);
      return q.kind === 'package' ? q.condition?.op : undefined;
    });
    assert.deepEqual(ops, ['<<', '<=', '<=', '=', '>=', '>=', '>>', '%', '~']);
    assert.deepEqual(parseQuery('a (1)'), { kind: 'package', name: 'a', condition: { op: '=', value: '1' } });
    assert.deepEqual(parseQuery('a(>=1)'.replace('(', ' (')), { kind: 'package', name: 'a', condition: { op: '>=', value: '1' } });
    assert.deepEqual(parseQuery('a (>=1)'), parseQuery('a ( >= 1 )'));
  });

  test('name_version_arch is one package, only without a condition', () => {
    assert.deepEqual(parseQuery('nginx_1.2-1_amd64'), { kind: 'key', name: 'nginx', version: '1.2-1', arch: 'amd64' });
    assert.deepEqual(parseQuery('a_b_c_d'), { kind: 'key', name: 'a', version: 'b_c', arch: 'd' });
    assert.deepEqual(parseQuery('a__b'), { kind: 'key', name: 'a', version: '', arch: 'b' });
    assert.deepEqual(parseQuery('a_b'), { kind: 'package', name: 'a_b' });
    assert.deepEqual(parseQuery('a_b_c (= 1)'), { kind: 'package', name: 'a_b_c', condition: { op: '=', value: '1' } });
    assert.deepEqual(parseQuery('$x_1_amd64'), { kind: 'field', field: '$x_1_amd64' });
  });

  test('{arch} follows package terms only', () => {
    assert.deepEqual(parseQuery('libc6 {i386}'), { kind: 'package', name: 'libc6', arch: 'i386' });
    assert.deepEqual(parseQuery('libc6 (>= 2) {i386}'), {
      kind: 'package',
      name: 'libc6',
      condition: { op: '>=', value: '2' },
      arch: 'i386',
    });
    assert.deepEqual(parseQuery('libc6 {""}'), { kind: 'package', name: 'libc6', arch: '' });
    assert.throws(() => parseQuery('Priority {amd64}'), /column 10/);
    assert.throws(() => parseQuery('a_1_amd64 {amd64}'), /column 11/);
  });

  test('quoted values keep blanks and punctuation; \\ takes the next character', () => {
    assert.deepEqual(parseQuery('Name (~ "a|b (c), !d")'), { kind: 'field', field: 'Name', condition: { op: '~', value: 'a|b (c), !d' } });
    assert.deepEqual(parseQuery("Name ('it\\'s')"), { kind: 'field', field: 'Name', condition: { op: '=', value: "it's" } });
    assert.deepEqual(parseQuery('Name ("a\\\\b\\n")'), { kind: 'field', field: 'Name', condition: { op: '=', value: 'a\\bn' } });
    assert.deepEqual(parseQuery('Name ("")'), { kind: 'field', field: 'Name', condition: { op: '=', value: '' } });
    assert.deepEqual(parseQuery('"with space"'), { kind: 'package', name: 'with space' });
  });

  test('blanks are any Unicode white space Go knows, anywhere between tokens', () => {
    const q = parseQuery('\u00a0\tPriority\u2003(\n=\u3000required\r)\u0085|\fa\v');
    assert.equal(shape(q), '(Priority[=required] | a)');
    // U+FEFF is not white space to Go: it is part of the word.
    assert.deepEqual(parseQuery('a\ufeff'), { kind: 'package', name: 'a\ufeff' });
  });
});

describe('lexer follows aptly', () => {
  const words = (q: string): string[] =>
    tokenizeQuery(q).map((t) => (t.type === 'word' ? `w:${t.value}` : t.type === 'op' ? `o:${t.op}` : t.type));

  test('a word runs through "(" (aptly quirk) but stops at )|,!{} and blanks', () => {
    assert.deepEqual(words('Name(%x)'), ['w:Name(%x', ')', 'end']);
    assert.deepEqual(words('a|b,c!d{e}f'), ['w:a', '|', 'w:b', ',', 'w:c', '!', 'w:d', '{', 'w:e', '}', 'w:f', 'end']);
    assert.deepEqual(words('x<=y'), ['w:x<=y', 'end']);
    assert.deepEqual(words('ab"c d"'), ['w:ab"c', 'w:d"', 'end']);
  });

  test('operators', () => {
    assert.deepEqual(words('<< < <= = >= > >> % ~ <> <<<'), [
      'o:<<', 'o:<=', 'o:<=', 'o:=', 'o:>=', 'o:>=', 'o:>>', 'o:%', 'o:~', 'o:<=', 'o:>=', 'o:<<', 'o:<=', 'end',
    ]);
    assert.deepEqual(words('(>=1.0)'), ['(', 'o:>=', 'w:1.0', ')', 'end']);
  });

  test('a quoted string ends a word and may be followed directly by another', () => {
    assert.deepEqual(words('"a"b'), ['w:a', 'w:b', 'end']);
    assert.deepEqual(words("'a\"b'"), ['w:a"b', 'end']);
  });

  test('columns count characters, not UTF-16 units', () => {
    const tokens = tokenizeQuery('𝔸 | b');
    assert.deepEqual(tokens.map((t) => t.column), [1, 3, 5, 6]);
  });
});
