/**
 * Property tests for versions and relations. The seed is fixed so CI is reproducible; set
 * FUZZ_SEED to explore other inputs, FUZZ_RUNS to run more cases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz-params.js';

import { DebstashError } from '../../src/errors/debstash-error.js';
import { compareVersions, parseVersion } from '../../src/deb/version.js';
import {
  formatRelations,
  parseProvides,
  parseRelations,
  type Alternatives,
  type ArchRestriction,
  type ProfileTerm,
  type Relation,
  type RelationOp,
} from '../../src/deb/relation.js';

const params = (share = 0.3): fc.Parameters<unknown> => fuzzParams(20240611, share);

function isCoded(e: unknown, ...codes: string[]): boolean {
  return e instanceof DebstashError && codes.includes(e.code) && typeof e.details.column === 'number';
}

// Characters that matter to the relation grammar, so random strings get past the first token.
const RELATION_CHARS = 'ab1z.+-_~:,|()[]<>=! \n\t'.split('');
const relationish = fc.string({ unit: fc.constantFrom(...RELATION_CHARS), maxLength: 40 });
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), relationish);

const VERSION_CHARS = '0123456789~+.-:aZz'.split('');
const versionish = fc.string({ unit: fc.constantFrom(...VERSION_CHARS), maxLength: 12 });

/** Valid versions from a small alphabet, so that equal and near-equal ones are frequent. */
const validVersion: fc.Arbitrary<string> = fc
  .tuple(
    fc.option(fc.constantFrom('0', '1', '2', '00', '10'), { nil: undefined }),
    fc.constantFrom('0', '1', '9', '01', '10'),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '~', '+', 'a', 'b', 'Z', '-'), maxLength: 6 }),
    fc.option(fc.string({ unit: fc.constantFrom('0', '1', '.', '~', '+', 'a'), minLength: 1, maxLength: 4 }), {
      nil: undefined,
    }),
  )
  .map(([epoch, first, rest, revision]) => {
    let upstream = first + rest;
    // Without a revision, a hyphen in upstream would be taken as one.
    if (revision === undefined) upstream = upstream.replace(/-/g, '.');
    return `${epoch !== undefined ? `${epoch}:` : ''}${upstream}${revision !== undefined ? `-${revision}` : ''}`;
  });

function optional<K extends string, T>(key: K, arb: fc.Arbitrary<T>): fc.Arbitrary<Partial<Record<K, T>>> {
  return fc.option(arb, { nil: undefined }).map((v) => (v === undefined ? {} : ({ [key]: v } as Record<K, T>)));
}

const relation: fc.Arbitrary<Relation> = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,8}$/),
    optional('archQualifier', fc.constantFrom('any', 'native', 'amd64', 'i386')),
    fc.option(fc.tuple(fc.constantFrom<RelationOp>('<<', '<=', '=', '>=', '>>'), validVersion), { nil: undefined }),
    optional(
      'arches',
      fc.array(
        fc
          .tuple(fc.boolean(), fc.constantFrom('amd64', 'linux-any', 'any-i386', 'hurd-any'))
          .map(([negated, arch]): ArchRestriction => ({ negated, arch })),
        { minLength: 1, maxLength: 3 },
      ),
    ),
    optional(
      'profiles',
      fc.array(
        fc.array(fc
          .tuple(fc.boolean(), fc.constantFrom('nocheck', 'nodoc', 'stage1', 'pkg.x.y'))
          .map(([negated, name]): ProfileTerm => ({ negated, name })), {
          minLength: 1,
          maxLength: 3,
        }),
        { minLength: 1, maxLength: 3 },
      ),
    ),
  )
  .map(([name, q, c, a, p]): Relation => ({ name, ...q, ...(c && { op: c[0], version: c[1] }), ...a, ...p }));

const relations: fc.Arbitrary<Alternatives[]> = fc.array(fc.array(relation, { minLength: 1, maxLength: 3 }), { maxLength: 5 });

/** Valid fields with a few characters inserted, replaced or deleted: near the grammar's edges. */
const nearlyValid: fc.Arbitrary<string> = fc
  .tuple(relations, fc.array(fc.tuple(fc.nat(), fc.nat(2), fc.constantFrom(...RELATION_CHARS)), { minLength: 1, maxLength: 3 }))
  .map(([list, edits]) => {
    let text = formatRelations(list);
    for (const [at, kind, c] of edits) {
      const i = text.length === 0 ? 0 : at % (text.length + 1);
      if (kind === 0) text = text.slice(0, i) + c + text.slice(i);
      else if (kind === 1) text = text.slice(0, i) + c + text.slice(i + 1);
      else text = text.slice(0, i) + text.slice(i + 1);
    }
    return text;
  });

describe('fuzz: versions', () => {
  test('parseVersion and compareVersions either answer or throw a coded error', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, versionish), fc.oneof(anyText, versionish, validVersion), (a, b) => {
        for (const strict of [false, true]) {
          try {
            const v = parseVersion(a, strict);
            assert.ok(Number.isInteger(v.epoch) && v.epoch >= 0 && v.upstream !== '');
          } catch (e) {
            assert.ok(isCoded(e, 'DEBSTASH_E_VERSION_INVALID'), String(e));
          }
        }
        try {
          assert.ok([-1, 0, 1].includes(compareVersions(a, b)));
        } catch (e) {
          assert.ok(isCoded(e, 'DEBSTASH_E_VERSION_INVALID'), String(e));
        }
      }),
      params(1),
    );
  });

  test('generated versions are valid, even in strict mode', () => {
    fc.assert(
      fc.property(validVersion, (v) => {
        parseVersion(v, true);
      }),
      params(),
    );
  });

  test('compareVersions is reflexive and antisymmetric', () => {
    fc.assert(
      fc.property(validVersion, validVersion, (a, b) => {
        assert.equal(compareVersions(a, a), 0);
        assert.equal(compareVersions(a, b), 0 - compareVersions(b, a));
      }),
      params(),
    );
  });

  test('compareVersions is transitive', () => {
    fc.assert(
      fc.property(validVersion, validVersion, validVersion, (a, b, c) => {
        const ab = compareVersions(a, b);
        const bc = compareVersions(b, c);
        const ac = compareVersions(a, c);
        if (ab <= 0 && bc <= 0) assert.ok(ac <= 0, `${a} <= ${b} <= ${c} but ${a} > ${c}`);
        if (ab === 0 && bc === 0) assert.equal(ac, 0);
        if (ab < 0 && bc <= 0) assert.equal(ac, -1);
      }),
      params(),
    );
  });

  test('sorting with compareVersions gives a consistent order', () => {
    fc.assert(
      fc.property(fc.array(validVersion, { maxLength: 30 }), (list) => {
        const sorted = [...list].sort(compareVersions);
        for (let i = 0; i < sorted.length; i++) {
          for (let j = i + 1; j < sorted.length; j++) assert.ok(compareVersions(sorted[i], sorted[j]) <= 0);
        }
      }),
      params(0.05),
    );
  });
});

describe('fuzz: relations', () => {
  test('parseRelations and parseProvides either answer or throw a coded error', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, nearlyValid), (text) => {
        for (const parse of [parseRelations, parseProvides]) {
          try {
            parse(text);
          } catch (e) {
            assert.ok(isCoded(e, 'DEBSTASH_E_RELATION_INVALID'), String(e));
          }
        }
      }),
      params(1),
    );
  });

  test('whatever parses, formats to text that parses to the same structure', () => {
    fc.assert(
      fc.property(fc.oneof(relationish, nearlyValid), (text) => {
        let parsed: Alternatives[];
        try {
          parsed = parseRelations(text);
        } catch {
          return;
        }
        const canonical = formatRelations(parsed);
        assert.deepEqual(parseRelations(canonical), parsed);
        assert.equal(formatRelations(parseRelations(canonical)), canonical);
      }),
      params(1),
    );
  });

  test('generated structures survive format and parse', () => {
    fc.assert(
      fc.property(relations, (list) => {
        assert.deepEqual(parseRelations(formatRelations(list)), list);
      }),
      params(),
    );
  });

  test('blanks and folded lines between tokens do not change the structure', () => {
    const blank = fc.constantFrom(' ', '  ', '\t', '\n ', '\n\t', ' \n  ');
    fc.assert(
      fc.property(relations, fc.array(blank, { minLength: 1, maxLength: 16 }), (list, blanks) => {
        let k = 0;
        const next = (): string => blanks[k++ % blanks.length];
        // Every canonical space becomes other blanks, and separators get blanks around them.
        const text = formatRelations(list)
          .replace(/ /g, next)
          .replace(/([,|])/g, (m) => `${next()}${m}${next()}`);
        assert.deepEqual(parseRelations(`${next()}${text}${next()}`), list);
        // Without any blanks where they are optional: before "(", "[", "<" and around separators.
        const tight = formatRelations(list).replace(/ ([([<])/g, '$1').replace(/ ?([,|]) /g, '$1');
        assert.deepEqual(parseRelations(tight), list);
      }),
      params(),
    );
  });

  test('Provides built from names and exact versions round-trip', () => {
    const provides = fc.array(
      fc.tuple(fc.stringMatching(/^[a-z0-9][a-z0-9+.-]{0,8}$/), fc.option(validVersion, { nil: undefined })),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(provides, (list) => {
        const structure: Relation[] = list.map(([name, v]) => (v === undefined ? { name } : { name, op: '=', version: v }));
        const text = formatRelations(structure.map((r) => [r]));
        assert.deepEqual(parseProvides(text), structure);
      }),
      params(),
    );
  });
});
