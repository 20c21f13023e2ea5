import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DebstashError } from '../../src/errors/debstash-error.js';
import { compileQuery } from '../../src/query/compile-query.js';
import { parseQuery } from '../../src/query/parse-query.js';
import { isCode } from '../helpers/coded-error.js';

function syntaxError(query: string): DebstashError {
  try {
    parseQuery(query);
  } catch (err) {
    assert.ok(err instanceof DebstashError, `not a DebstashError: ${String(err)}`);
    assert.equal(err.code, 'DEBSTASH_E_QUERY_SYNTAX');
    return err;
  }
  assert.fail(`accepted ${JSON.stringify(query)}`);
}

describe('malformed queries name the column and what was expected', () => {
  const cases: ReadonlyArray<readonly [string, number, string]> = [
    ['', 1, 'column 1: the query is empty: expected a package name, a field name, "!" or "("'],
    ['   ', 4, 'column 4: the query is empty'],
    ['Priority (required', 19, 'column 19: expected ")" after "Priority (required", found the end of the query'],
    ['Priority (required | Priority (important)', 20, 'column 20: expected ")" after "Priority (required", found "|"'],
    ['(Priority (required) | a', 25, 'column 25: expected ")" to close the "(" at column 1 after "(Priority (required) | a", found the end of the query'],
    ['a | b)', 6, 'column 6: ")" has no "(" to close, after "a | b"'],
    ['Priority ()', 11, 'column 11: expected a value after "Priority (", found ")"'],
    ['Priority (== x)', 12, 'column 12: expected a value after "Priority (=", found "="'],
    ['nginx >= 1.0', 7, 'column 7: expected "|", "," or the end of the query after "nginx", found ">="; a condition goes in parentheses'],
    ['a b', 3, 'column 3: expected "|", "," or the end of the query after "a", found "b"'],
    ['a |', 4, 'column 4: expected a package name, a field name, "!" or "(" after "a |", found the end of the query'],
    ['a | | b', 5, 'column 5: expected a package name, a field name, "!" or "(" after "a |", found "|"'],
    ['!', 2, 'column 2: expected a package name, a field name, "!" or "(" after "!"'],
    ['Name (~ "(")', 9, 'column 9: invalid regular expression "(": missing closing )'],
    ['Name (~ "[z-a]")', 9, 'column 9: invalid regular expression "[z-a]": invalid character class range'],
    ['Name (~ "(?=x)")', 9, 'column 9: invalid regular expression "(?=x)": invalid or unsupported Perl syntax'],
    ['Name (~ "a**")', 9, 'column 9: invalid regular expression "a**": invalid nested repetition operator'],
    ['Name (~ "x{1001}")', 9, 'column 9: invalid regular expression "x{1001}": invalid repeat count'],
    ['Name (% "[]")', 9, 'column 9: invalid glob pattern "[]"'],
    ['Name (% "[a")', 9, 'column 9: invalid glob pattern "[a": the character class is not closed with "]"'],
    ['"abc', 1, 'column 1: the string that starts here has no closing "'],
    ["Name ('abc\\')", 7, "column 7: the string that starts here has no closing '"],
    ['a (>= "1 0")', 7, 'column 7: "1 0" is not a Debian version: it contains blanks'],
    ['$Version (<< "")', 14, 'column 14: "" is not a Debian version: it is empty'],
    ['a {amd64', 9, 'column 9: expected "}" after "a {amd64", found the end of the query'],
    ['a {(}', 4, 'column 4: expected an architecture after "a {", found "("'],
    ['Priority {amd64}', 10, 'column 10: expected "|", "," or the end of the query after "Priority", found "{"'],
    ['Priority(required)', 18, 'column 18: ")" has no "(" to close, after "Priority(required"; "Priority(required" is one word: put a blank before "("'],
    ['é | 𝔸 )', 7, 'column 7: ")" has no "(" to close'],
  ];
  for (const [query, column, message] of cases) {
    test(JSON.stringify(query), () => {
      const err = syntaxError(query);
      assert.ok(err.message.startsWith(message), `${err.message}\n  does not start with\n${message}`);
      assert.deepEqual(err.details, { query, column });
      assert.equal(err.exitCode, 2);
      assert.equal(err.httpStatus, 400);
    });
  }

  test('nesting is bounded instead of exhausting the stack', () => {
    const err = syntaxError(`${'('.repeat(5000)}a${')'.repeat(5000)}`);
    assert.match(err.message, /^column 257: parentheses nest deeper than 256 levels/);
    assert.doesNotThrow(() => parseQuery(`${'('.repeat(256)}a${')'.repeat(256)}`));
    // Long chains and runs of "!" are not nesting.
    assert.doesNotThrow(() => parseQuery(Array.from({ length: 20000 }, (_, i) => `p${i}`).join(' | ')));
    assert.doesNotThrow(() => compileQuery(parseQuery(`${'!'.repeat(200000)}a`)));
  });

  test('long queries are quoted back by their end only', () => {
    const err = syntaxError(`${'a | '.repeat(100)}(`);
    assert.ok(err.message.length < 250, err.message);
    assert.match(err.message, /after "….*\| \("/);
  });
});

describe('hand-built ASTs are checked when compiled', () => {
  test('a bad regexp throws the coded error', () => {
    assert.throws(
      () => compileQuery({ kind: 'field', field: 'Name', condition: { op: '~', value: '(' } }),
      isCode('DEBSTASH_E_QUERY_SYNTAX', /missing closing \)/),
    );
  });

  test('a bad version throws the coded error', () => {
    assert.throws(
      () => compileQuery({ kind: 'package', name: 'a', condition: { op: '>=', value: 'x y' } }),
      isCode('DEBSTASH_E_QUERY_SYNTAX'),
    );
  });
});
