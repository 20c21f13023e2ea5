/**
 * Go's filepath.Match semantics, on cases where JavaScript differs. The parity test checks the
 * same kinds of cases against aptly; these hold without it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { compileGoGlob } from '../../src/query/go-glob.js';

function glob(pattern: string): RegExp {
  const r = compileGoGlob(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.message}`);
  return r.regexp;
}

describe('Go globs', () => {
  const cases: ReadonlyArray<readonly [string, string, boolean]> = [
    ['*', 'contrib/net', false],
    ['*/*', 'contrib/net', true],
    ['?', '/', false],
    ['[/]', '/', true],
    ['[^a]', '/', true],
    ['?x', '𝔸x', true],
    ['a?c', 'a\nc', true],
    ['[!a]*', '!x', true],
    ['[!a]*', 'b', false],
    ['[^a]*', 'b', true],
    ['\\*star', '*star', true],
    ['\\[x\\]', '[x]', true],
    ['[[]x]', '[x]', true],
    ['*[z-a]*', 'anything', false],
    ['[\\]]*', ']x', true],
    ['[\\-]', '-', true],
    ['*é', 'café', true],
    ['', '', true],
    ['', 'a', false],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(glob(pattern).test(input), expected);
    });
  }

  for (const bad of ['[', '[a', '[]', '[]a]', '[-a]', '[a-]', '[^', 'a\\', '[a\\']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(compileGoGlob(bad).ok, false));
  }
});
