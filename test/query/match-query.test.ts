/**
 * Matching semantics on hand-written paragraphs: the aptly behaviours the parity test checks
 * against aptly itself, pinned here so they hold where aptly is not installed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { compileQuery, type CompileQueryOptions } from '../../src/query/compile-query.js';
import { matchQuery } from '../../src/query/match-query.js';
import { parseQuery } from '../../src/query/parse-query.js';
import { queryTargetFromParagraph, type QueryPackageType, type QueryTarget } from '../../src/query/query-target.js';

const PACKAGES = `Package: alpha
Version: 1.0-1
Architecture: amd64
priority: required
Section: libs
Installed-Size: 1200
Provides: virt-a, virt-b (= 2.0)
Depends: libc6 (>= 2.34),
 libfoo1
Filename: pool/main/a/alpha/alpha_1.0-1_amd64.deb
Size: 1234
SHA256: 00ff
Description: the alpha package
 It has a long description.

Package: alpha-doc
Version: 1:1.0-1
Architecture: all
Source: alpha (1.0-1)
Section: doc
Installed-Size: 80
Multi-Arch: foreign
Description: documentation

Package: beta
Version: 2.0~rc1
Architecture: i386
Source: betasrc
Priority: optional
Provides: virt-a
Description: beta

Package: di-gamma
Version: 1.0
Architecture: amd64
Section: debian-installer
Description: installer piece
`;

const SOURCES = `Package: alpha
Binary: alpha, alpha-doc
Version: 1.0-1
Architecture: any all
Build-Depends: debhelper-compat (= 13),
 libfoo-dev
Files:
 00 1 alpha_1.0-1.dsc
Package-List:
 alpha deb libs optional arch=any
`;

function targets(): QueryTarget[] {
  const type = (p: { get(n: string): string | undefined }): QueryPackageType => (p.get('Section') === 'debian-installer' ? 'udeb' : 'deb');
  return [
    ...parseDeb822(PACKAGES).map((p) => queryTargetFromParagraph(p, type(p))),
    ...parseDeb822(SOURCES).map((p) => queryTargetFromParagraph(p, 'source')),
  ];
}

const ALL = targets();

function select(query: string, options?: CompileQueryOptions): string[] {
  const predicate = compileQuery(parseQuery(query), options);
  return ALL.filter(predicate).map((t) => `${t.name}_${t.version}_${t.architecture}`);
}

const A = 'alpha_1.0-1_amd64';
const DOC = 'alpha-doc_1:1.0-1_all';
const B = 'beta_2.0~rc1_i386';
const DI = 'di-gamma_1.0_amd64';
const SRC = 'alpha_1.0-1_source';

describe('fields', () => {
  test('names are matched in aptly\'s canonical spelling', () => {
    assert.deepEqual(select('Priority (required)'), [A]);
    assert.deepEqual(select('PRIORITY (required)'), []);
    assert.deepEqual(select('Installed-Size'), [A, DOC]);
    assert.deepEqual(select('Installed-size'), []);
    assert.deepEqual(select('Multi-Arch (foreign)'), [DOC]);
  });

  test('without a condition a field must be present and not empty', () => {
    assert.deepEqual(select('Source'), [DOC, B]);
    assert.deepEqual(select('Provides'), [A, B]);
    assert.deepEqual(select('$Unknown'), []);
    assert.deepEqual(select('Nonexistent'), []);
  });

  test('fields aptly keeps elsewhere are invisible', () => {
    for (const q of ['Package', 'Package (alpha)', 'Filename', 'Size', 'SHA256', 'Files']) assert.deepEqual(select(q), [], q);
    assert.deepEqual(select('Name (alpha)'), [A, SRC]);
  });

  test('relation fields read back item by item, joined by ", "', () => {
    assert.deepEqual(select('Depends ("libc6 (>= 2.34), libfoo1")'), [A]);
    assert.deepEqual(select('Build-Depends ("debhelper-compat (= 13), libfoo-dev")'), [SRC]);
    assert.deepEqual(select('Provides ("virt-a, virt-b (= 2.0)")'), [A]);
    // Relation fields of the other package type read as empty.
    assert.deepEqual(select('Build-Depends'), [SRC]);
    assert.deepEqual(select('Depends'), [A]);
  });

  test('multi-line fields keep aptly\'s raw form: a leading blank, a newline after each line', () => {
    assert.deepEqual(select('Description (~ "^the")'), []);
    assert.deepEqual(select('Description (~ "^ the alpha package\\\\n It has")'), [A]);
    assert.deepEqual(select('Description (% " documentation?")'), [DOC]);
    assert.deepEqual(select('Package-List (% " alpha deb *")'), [SRC]);
  });

  test('comparisons use aptly\'s version ordering, on any text', () => {
    assert.deepEqual(select('Installed-Size (>> 100)'), [A]);
    // An absent field reads as "", which sorts before everything.
    assert.deepEqual(select('Installed-Size (< 100)'), [DOC, B, DI, SRC]);
    assert.deepEqual(select('Installed-Size, Installed-Size (< 100)'), [DOC]);
    assert.deepEqual(select('Name (alpha0)'), [A, SRC]);
    assert.deepEqual(select('Version (>= 1.0)'), [A, DOC, B, DI, SRC]);
    assert.deepEqual(select('Version (<< 1:0)'), [A, B, DI, SRC]);
    // "debian-installer" is upstream "debian", revision "installer" to this ordering.
    assert.deepEqual(select('Section, Section (<= doc)'), [DOC, DI]);
  });

  test('Architecture is the field for sources, $Architecture says source', () => {
    assert.deepEqual(select('Architecture (% *all*)'), [DOC, SRC]);
    assert.deepEqual(select('$Architecture (source)'), [SRC]);
    assert.deepEqual(select('$Architecture (% source)'), [SRC]);
  });
});

describe('special fields', () => {
  test('$Source and $SourceVersion', () => {
    assert.deepEqual(select('$Source (alpha)'), [A, DOC]);
    assert.deepEqual(select('$Source (betasrc)'), [B]);
    assert.deepEqual(select('$SourceVersion (1.0-1)'), [A, DOC]);
    assert.deepEqual(select('$SourceVersion (2.0~rc1)'), [B]);
    // Source packages have neither.
    assert.deepEqual(select('$Source'), [A, DOC, B, DI]);
  });

  test('$Architecture (= x) also takes "all" packages, except for source', () => {
    assert.deepEqual(select('$Architecture (amd64)'), [A, DOC, DI]);
    assert.deepEqual(select('$Architecture (i386)'), [DOC, B]);
    assert.deepEqual(select('$Architecture (all)'), [DOC]);
    assert.deepEqual(select('$Architecture (% a*)'), [A, DOC, DI]);
  });

  test('$Version compares with dpkg ordering', () => {
    assert.deepEqual(select('$Version (>> 1.0)'), [A, DOC, B, SRC]);
    assert.deepEqual(select('$Version (<< 2.0)'), [A, B, DI, SRC]);
    assert.deepEqual(select('$Version (= 1.0-1)'), [A, SRC]);
    assert.deepEqual(select('$Version (= 1.00-01)'), [A, SRC]);
    assert.deepEqual(select('$Version (% *~*)'), [B]);
    assert.deepEqual(select('$Version (~ ^1:)'), [DOC]);
    assert.equal(select('$Version').length, ALL.length);
  });

  test('$PackageType', () => {
    assert.deepEqual(select('$PackageType (deb)'), [A, DOC, B]);
    assert.deepEqual(select('$PackageType (udeb)'), [DI]);
    assert.deepEqual(select('$PackageType (source)'), [SRC]);
  });
});

describe('package terms', () => {
  test('a name matches the package or an unversioned Provides', () => {
    assert.deepEqual(select('alpha'), [A, SRC]);
    assert.deepEqual(select('virt-a'), [A, B]);
    assert.deepEqual(select('virt-b'), []);
    assert.deepEqual(select('"virt-b (= 2.0)"'), [A]);
  });

  test('a versioned term looks at the package itself only (aptly)', () => {
    assert.deepEqual(select('alpha (>= 1.0)'), [A, SRC]);
    assert.deepEqual(select('alpha (>> 1.0-1)'), []);
    assert.deepEqual(select('virt-b (= 2.0)'), []);
    assert.deepEqual(select('alpha-doc (<< 1:1.0-2)'), [DOC]);
  });

  test('versionedProvides follows Debian Policy instead', () => {
    const opts = { versionedProvides: true };
    assert.deepEqual(select('virt-b', opts), [A]);
    assert.deepEqual(select('virt-b (>= 2.0)', opts), [A]);
    assert.deepEqual(select('virt-b (>> 2.0)', opts), []);
    assert.deepEqual(select('virt-a (>= 1)', opts), []);
    assert.deepEqual(select('virt-a', opts), [A, B]);
    assert.deepEqual(select('"virt-b (= 2.0)"', opts), []);
  });

  test('{arch} takes the architecture or "all" (not for source)', () => {
    assert.deepEqual(select('alpha {amd64}'), [A]);
    assert.deepEqual(select('alpha {source}'), [SRC]);
    assert.deepEqual(select('alpha-doc {i386}'), [DOC]);
    assert.deepEqual(select('alpha-doc {source}'), []);
    assert.deepEqual(select('virt-a {i386}'), [B]);
    assert.deepEqual(select('alpha {""}'), [A, SRC]);
  });

  test('name_version_arch', () => {
    assert.deepEqual(select('alpha_1.0-1_amd64'), [A]);
    assert.deepEqual(select('alpha_1.0-1_source'), [SRC]);
    assert.deepEqual(select('alpha_1.0_amd64'), []);
  });
});

describe('combinations', () => {
  test('the default filter of debstash up', () => {
    const q = 'Priority (required) | Priority (important) | Priority (standard) | postgresql | python3';
    assert.deepEqual(select(q), [A]);
  });

  test('not, and, or', () => {
    assert.deepEqual(select('!alpha'), [DOC, B, DI]);
    assert.deepEqual(select('!alpha, !$PackageType (source)'), [DOC, B, DI]);
    assert.deepEqual(select('alpha | beta, $Architecture (amd64)'), [A, SRC]);
    assert.deepEqual(select('(alpha | beta), $Architecture (amd64)'), [A]);
  });

  test('matchQuery compiles once per AST and agrees with compileQuery', () => {
    const q = parseQuery('virt-a | $Source (alpha)');
    const predicate = compileQuery(q);
    for (const t of ALL) assert.equal(matchQuery(q, t), predicate(t));
  });

  test('a package with a broken version is in no version range', () => {
    const [p] = parseDeb822('Package: odd\nVersion: 1 0\nArchitecture: amd64\nProvides: x (= bad version\n');
    const t = queryTargetFromParagraph(p!);
    for (const q of ['odd (>= 0)', 'odd (<< 9)', 'odd (= 1)', '$Version (>> 0)', '$Version (<= 9)']) {
      assert.equal(compileQuery(parseQuery(q))(t), false, q);
    }
    assert.equal(compileQuery(parseQuery('odd'))(t), true);
    assert.equal(compileQuery(parseQuery('x'), { versionedProvides: true })(t), true);
  });
});
