/**
 * Go's filepath.Match semantics, on cases where a shell or a regexp would differ, and its
 * running time. The parity test checks the same kinds of cases against aptly; these hold
 * without it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { compileGoGlob } from '../../src/query/go-glob.js';

function glob(pattern: string): (value: string) => boolean {
  const r = compileGoGlob(pattern);
  assert.ok(r.ok, `${pattern}: ${r.ok ? '' : r.message}`);
  return r.test;
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
    // each chunk between stars takes its leftmost place and keeps it, as in Go
    ['*a[^z]*c', 'aa/c', false],
    ['*a[^z]*c', 'a/c', true],
    ['*a*a*b', 'xaxaxab', true],
    ['a*', 'a/b', false],
    ['**b', 'ab', true],
    ['*[*]', 'a*', true],
    ['*?', '𝔸', true],
    ['*??', '𝔸', false],
    ['*b?', 'abba', true],
    ['*b?', 'abab', false],
    ['*ab', 'aab', true],
  ];
  for (const [pattern, input, expected] of cases) {
    test(`${JSON.stringify(pattern)} on ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(glob(pattern)(input), expected);
    });
  }

  for (const bad of ['[', '[a', '[]', '[]a]', '[-a]', '[a-]', '[^', 'a\\', '[a\\']) {
    test(`refuses ${JSON.stringify(bad)}`, () => assert.equal(compileGoGlob(bad).ok, false));
  }
});

describe('Go globs run in time bounded by value × pattern', () => {
  // As `^[^/]*a[^/]*a...$` regexps these backtracked: the first took 19 s on 200 a's.
  const slow: ReadonlyArray<readonly [string, string, boolean]> = [
    ['*a*a*a*a*b', 'a'.repeat(5000), false],
    [`${'*a'.repeat(20)}*b`, 'a'.repeat(5000), false],
    [`${'*a'.repeat(20)}*b`, `${'a'.repeat(5000)}b`, true],
    [`*${'?'.repeat(50)}b`, 'a'.repeat(5000), false],
    ['*[a-z]*[a-z]*[a-z]*/', 'a'.repeat(5000), false],
  ];
  for (const [pattern, input, expected] of slow) {
    test(`${JSON.stringify(pattern.slice(0, 24))} on ${input.length} characters in < 200 ms`, () => {
      const match = glob(pattern);
      const start = performance.now();
      assert.equal(match(input), expected);
      const ms = performance.now() - start;
      assert.ok(ms < 200, `${ms.toFixed(1)} ms`);
    });
  }
});

/**
 * Go's path.Match for well-formed patterns, transcribed line by line over code points: the
 * oracle for the matcher, which tries fewer places than Go does but must answer alike.
 */
function goMatch(pattern: string, name: string): boolean {
  const SLASH = 0x2f;
  const matchChunk = (chunk: number[], s: number[]): number[] | undefined => {
    let c = chunk;
    while (c.length > 0) {
      if (s.length === 0) return undefined;
      if (c[0] === 0x5b /* [ */) {
        const r = s[0]!;
        s = s.slice(1);
        c = c.slice(1);
        const negated = c[0] === 0x5e;
        if (negated) c = c.slice(1);
        let match = false;
        for (let n = 0; !(c[0] === 0x5d && n > 0); n++) {
          const esc = (): number => {
            if (c[0] === 0x5c) c = c.slice(1);
            const v = c[0]!;
            c = c.slice(1);
            return v;
          };
          const lo = esc();
          let hi = lo;
          if (c[0] === 0x2d) {
            c = c.slice(1);
            hi = esc();
          }
          if (lo <= r && r <= hi) match = true;
        }
        c = c.slice(1);
        if (match === negated) return undefined;
      } else if (c[0] === 0x3f /* ? */) {
        if (s[0] === SLASH) return undefined;
        s = s.slice(1);
        c = c.slice(1);
      } else {
        if (c[0] === 0x5c) c = c.slice(1);
        if (c[0] !== s[0]) return undefined;
        s = s.slice(1);
        c = c.slice(1);
      }
    }
    return s;
  };
  let p = Array.from(pattern, (ch) => ch.codePointAt(0)!);
  let n = Array.from(name, (ch) => ch.codePointAt(0)!);
  outer: while (p.length > 0) {
    let star = false;
    while (p[0] === 0x2a) {
      p = p.slice(1);
      star = true;
    }
    let inrange = false;
    let i = 0;
    for (; i < p.length; i++) {
      if (p[i] === 0x5c) {
        if (i + 1 < p.length) i++;
      } else if (p[i] === 0x5b) inrange = true;
      else if (p[i] === 0x5d) inrange = false;
      else if (p[i] === 0x2a && !inrange) break;
    }
    const chunk = p.slice(0, i);
    p = p.slice(i);
    if (star && chunk.length === 0) return !n.includes(SLASH);
    const t = matchChunk(chunk, n);
    if (t !== undefined && (t.length === 0 || p.length > 0)) {
      n = t;
      continue;
    }
    if (star) {
      for (let j = 0; j < n.length && n[j] !== SLASH; j++) {
        const rest = matchChunk(chunk, n.slice(j + 1));
        if (rest === undefined || (p.length === 0 && rest.length > 0)) continue;
        n = rest;
        continue outer;
      }
    }
    return false;
  }
  return n.length === 0;
}

describe('Go globs answer as Go\'s Match', () => {
  test('on random patterns and values', () => {
    const pattern = fc.string({ unit: fc.constantFrom(...'ab*?[]^-\\/𝔸'), maxLength: 10 }).filter((p) => compileGoGlob(p).ok);
    // Mostly letters the patterns name, so that a fair share of pairs match.
    const value = fc.string({ unit: fc.constantFrom(...'aaabbb/-]^*𝔸'), maxLength: 8 });
    fc.assert(
      fc.property(pattern, value, (p, v) => {
        assert.equal(glob(p)(v), goMatch(p, v), `${JSON.stringify(p)} on ${JSON.stringify(v)}`);
      }),
      { seed: 20240612, numRuns: 5000, interruptAfterTimeLimit: 2500 },
    );
  });
});
