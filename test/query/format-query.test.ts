import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { formatQuery } from '../../src/query/format-query.js';
import { parseQuery } from '../../src/query/parse-query.js';
import type { QueryNode } from '../../src/query/query-ast.js';

describe('formatQuery', () => {
  const canonical: ReadonlyArray<readonly [string, string]> = [
    ['Priority(= required )'.replace('(', ' ('), 'Priority (= required)'],
    ['Priority (required)|Priority (important)', 'Priority (= required) | Priority (= important)'],
    ['a,b', 'a, b'],
    ['a | (b | c)', 'a | b | c'],
    ['(a | b) | c', '(a | b) | c'],
    ['(a, b), c', '(a, b), c'],
    ['a, (b | c)', 'a, (b | c)'],
    ['(a | b), c', '(a | b), c'],
    ['!(a)', '!a'],
    ['! (a, b)', '!(a, b)'],
    ['!!(a | b)', '!!(a | b)'],
    ['nginx (< 1.0)', 'nginx (<= 1.0)'],
    ['nginx (> 1.0) {amd64}', 'nginx (>= 1.0) {amd64}'],
    ['nginx {""}', 'nginx {""}'],
    ["Name (~ 'a|b')", 'Name (~ "a|b")'],
    ['Name (% "a\\"b")', 'Name (% "a\\"b")'],
    ['Name (% "a\\\\b")', 'Name (% "a\\\\b")'],
    ['"=x"', '"=x"'],
    ['Name ("")', 'Name (= "")'],
    ['"a b_1.0_amd64"', '"a b_1.0_amd64"'],
    ['foo_1:2.0-1_all', 'foo_1:2.0-1_all'],
    ['Description (% "*(x)*")', 'Description (% "*(x)*")'],
    ['$Version (>> 1:2.0~rc1)', '$Version (>> 1:2.0~rc1)'],
  ];
  for (const [input, expected] of canonical) {
    test(`${input} → ${expected}`, () => {
      const ast = parseQuery(input);
      assert.equal(formatQuery(ast), expected);
      assert.deepEqual(parseQuery(expected), ast);
    });
  }

  test('left-nested chains keep their shape', () => {
    const ast: QueryNode = {
      kind: 'and',
      left: { kind: 'and', left: { kind: 'package', name: 'a' }, right: { kind: 'package', name: 'b' } },
      right: { kind: 'or', left: { kind: 'package', name: 'c' }, right: { kind: 'not', operand: { kind: 'package', name: 'd' } } },
    };
    assert.equal(formatQuery(ast), '(a, b), (c | !d)');
    assert.deepEqual(parseQuery(formatQuery(ast)), ast);
  });

  test('long chains and long runs of "!" format without deep recursion', () => {
    const chain = Array.from({ length: 50000 }, (_, i) => `p${i}`).join(' | ');
    assert.equal(formatQuery(parseQuery(chain)), chain);
    const bangs = `${'!'.repeat(100000)}a`;
    assert.equal(formatQuery(parseQuery(bangs)), bangs);
  });
});
