/**
 * Property tests for the query language. The seed is fixed so CI is reproducible; set
 * FUZZ_SEED to explore other inputs, FUZZ_RUNS to run more cases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz-params.js';

import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { parseVersion } from '../../src/deb/version.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { compileQuery } from '../../src/query/compile-query.js';
import { formatQuery } from '../../src/query/format-query.js';
import { compileGoGlob } from '../../src/query/go-glob.js';
import { parseQuery, splitPackageKey } from '../../src/query/parse-query.js';
import type { QueryCondition, QueryNode, QueryOp } from '../../src/query/query-ast.js';
import { isFieldWord } from '../../src/query/query-lexical.js';
import { queryTargetFromParagraph } from '../../src/query/query-target.js';
import { compileRegexp } from '../../src/query/re2-regexp.js';

const params = (share = 0.3): fc.Parameters<unknown> => fuzzParams(20240612, share);

const TARGETS = parseDeb822(
  'Package: a\nVersion: 1.0\nArchitecture: all\nPriority: required\nProvides: b, c (= 1)\nDescription: x\n y\n\n' +
    'Package: B_1\nVersion: 2:0~1-1\nArchitecture: amd64\nSource: s (1)\nMulti-Arch: same\n',
).map((p) => queryTargetFromParagraph(p));

/** Parses or throws the coded syntax error with a column inside the query (or just past it). */
function parseOrSyntaxError(text: string): QueryNode | undefined {
  try {
    return parseQuery(text);
  } catch (err) {
    if (!(err instanceof DebstashError) || err.code !== 'DEBSTASH_E_QUERY_SYNTAX') throw err;
    const column = err.details.column;
    assert.equal(typeof column, 'number');
    assert.ok((column as number) >= 1 && (column as number) <= [...text].length + 1, `column ${String(column)} for ${JSON.stringify(text)}`);
    assert.match(err.message, /^column \d+: /);
    return undefined;
  }
}

const QUERY_CHARS = [...'ab_Z$ \t\n()|,!{}<>=%~"\'\\.*?[]^-1:é𝔸\u00a0'];
const queryish = fc.string({ unit: fc.constantFrom(...QUERY_CHARS), maxLength: 40 });
const anyText = fc.oneof(queryish, fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }));

describe('arbitrary text', () => {
  test('parses, or fails with DEBSTASH_E_QUERY_SYNTAX and a column', () => {
    let parsed = 0;
    fc.assert(
      fc.property(anyText, (text) => {
        const ast = parseOrSyntaxError(text);
        if (ast === undefined) return;
        parsed++;
        // What parses formats to text that parses back to the same tree, compiles and runs.
        const again = parseQuery(formatQuery(ast));
        assert.deepEqual(again, ast);
        const predicate = compileQuery(ast);
        for (const t of TARGETS) assert.equal(typeof predicate(t), 'boolean');
      }),
      params(1),
    );
    assert.ok(parsed > 0);
  });

  test('structured noise: terms and operators in random order', () => {
    const piece = fc.constantFrom(
      'a', 'Priority', '$Version', 'x_1_amd64', '(', ')', '|', ',', '!', '{amd64}', '(= 1)', '(>= 1.0)', '(~ "^a")',
      '(% "a*")', '"q"', '{', '}', '<<', '(', ' ', '"', "'",
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 14 }), (pieces) => void parseOrSyntaxError(pieces.join(''))), params(1));
  });
});

describe('generated trees', () => {
  const wordChar = fc.constantFrom(...'abcxyz019.+-~:_ ()|,!{}"\'\\é𝔸'.split(''), 'Q', '$');
  const anyWord = fc.string({ unit: wordChar, maxLength: 8 });
  const fieldName = fc.oneof(
    fc.constantFrom('Priority', 'Section', '$Source', '$Version', '$Architecture', '$PackageType', 'Multi-Arch', 'É'),
    anyWord.map((w) => `X${w.replace(/_/g, '')}`),
    anyWord.map((w) => `$${w}`),
  );
  const packageName = anyWord.filter((w) => !isFieldWord(w));
  const version = fc.constantFrom('1', '1.0-1', '2:0~rc1', '1.0+dfsg', '0', '9.9.9-9ubuntu9');
  const regexp = fc.oneof(fc.constantFrom('^a', 'b|c', '(?i)x', '[[:alpha:]]+', '\\d{2,3}', ''), anyWord).filter((r) => compileRegexp(r).ok);
  const glob = fc.oneof(fc.constantFrom('*', 'a?', '[a-c]*', '\\*'), anyWord).filter((g) => compileGoGlob(g).ok);
  const relational = fc.constantFrom<QueryOp>('=', '<<', '<=', '>=', '>>');

  const condition = (subject: 'version' | 'text'): fc.Arbitrary<QueryCondition> =>
    fc.oneof(
      fc.record({ op: fc.constant<QueryOp>('~'), value: regexp }),
      fc.record({ op: fc.constant<QueryOp>('%'), value: glob }),
      fc.record({ op: relational, value: subject === 'version' ? version : anyWord }),
    );

  const leaf: fc.Arbitrary<QueryNode> = fc.oneof(
    fc.record({ kind: fc.constant('field' as const), field: fieldName }),
    fieldName.chain((field) =>
      condition(field === '$Version' ? 'version' : 'text').map((c): QueryNode => ({ kind: 'field', field, condition: c })),
    ),
    packageName
      .filter((name) => splitPackageKey(name) === undefined)
      .map((name): QueryNode => ({ kind: 'package', name })),
    fc.record({ kind: fc.constant('package' as const), name: packageName, condition: condition('version') }),
    fc.record({
      kind: fc.constant('package' as const),
      name: packageName.filter((name) => splitPackageKey(name) === undefined),
      arch: anyWord,
    }),
    fc.record({
      kind: fc.constant('key' as const),
      name: anyWord.map((w) => w.replace(/_/g, '')).filter((w) => !w.startsWith('$')),
      version: anyWord,
      arch: anyWord.map((w) => w.replace(/_/g, '')),
    }),
  );

  const tree = fc.letrec<{ node: QueryNode }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.record({ kind: fc.constant('not' as const), operand: tie('node') }),
      fc.record({ kind: fc.constant('and' as const), left: tie('node'), right: tie('node') }),
      fc.record({ kind: fc.constant('or' as const), left: tie('node'), right: tie('node') }),
    ),
  })).node;

  test('format → parse gives the same tree', () => {
    fc.assert(
      fc.property(tree, (ast) => {
        const text = formatQuery(ast);
        // fast-check builds records without a prototype; compare plain data.
        assert.deepEqual(parseQuery(text), JSON.parse(JSON.stringify(ast)) as QueryNode, text);
        assert.equal(formatQuery(parseQuery(text)), text);
      }),
      params(),
    );
  });

  test('generated trees compile and evaluate', () => {
    fc.assert(
      fc.property(tree, (ast) => {
        const predicate = compileQuery(ast);
        for (const t of TARGETS) assert.equal(typeof predicate(t), 'boolean');
      }),
      params(0.1),
    );
  });

  test('! negates, | and , are boolean or and and', () => {
    fc.assert(
      fc.property(tree, tree, (x, y) => {
        const px = compileQuery(x);
        const py = compileQuery(y);
        const or = compileQuery({ kind: 'or', left: x, right: y });
        const and = compileQuery({ kind: 'and', left: x, right: y });
        const not = compileQuery({ kind: 'not', operand: x });
        for (const t of TARGETS) {
          assert.equal(or(t), px(t) || py(t));
          assert.equal(and(t), px(t) && py(t));
          assert.equal(not(t), !px(t));
        }
      }),
      params(0.1),
    );
  });
});

describe('patterns', () => {
  const REGEXP_CHARS = [...'ab.*+?{}[]()^$|\\-,:=<!PpLdswDSWbBAzQEx0123456789imsU é𝔸\n'];
  test('Go regexps: every pattern compiles or is refused with a message', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...REGEXP_CHARS), maxLength: 24 }), (pattern) => {
        const r = compileRegexp(pattern);
        if (r.ok) assert.equal(typeof r.test('ab\n'), 'boolean');
        else assert.ok(r.message.length > 0);
      }),
      params(),
    );
  });

  test('Go regexps: a literal matches itself once quoted with \\Q', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }).filter((s) => !s.includes('\\E')), (text) => {
        const r = compileRegexp(`^\\Q${text}\\E$`);
        assert.ok(r.ok);
        assert.ok(r.test(text));
      }),
      params(),
    );
  });

  test('globs: every pattern compiles or is refused; an escaped literal matches itself', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab*?[]^!-\\/é𝔸'), maxLength: 16 }), (pattern) => {
        const r = compileGoGlob(pattern);
        if (r.ok) assert.equal(typeof r.test('a/b'), 'boolean');
      }),
      params(),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (text) => {
        const r = compileGoGlob([...text].map((ch) => `\\${ch}`).join(''));
        assert.ok(r.ok);
        assert.ok(r.test(text));
        assert.equal(r.test(`${text}x`), false);
      }),
      params(),
    );
  });

  test('version conditions are accepted exactly when the version parses', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789.:~+-a '), maxLength: 10 }), (v) => {
        let valid = true;
        try {
          parseVersion(v);
        } catch {
          valid = false;
        }
        const q = `x (>= ${JSON.stringify(v)})`;
        assert.equal(parseOrSyntaxError(q) !== undefined, valid, q);
      }),
      params(),
    );
  });
});
