import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { formatRelations, parseProvides, parseRelation, parseRelations, type RelationOp } from '../../src/deb/relation.js';
import {
  archIsConcerned,
  reduceRelations,
  relationApplies,
  satisfiesAlternatives,
  satisfiesRelation,
  versionSatisfies,
  type Candidate,
  type SatisfyContext,
} from '../../src/deb/relation-satisfy.js';

function pkg(name: string, version: string, architecture = 'amd64', multiArch?: string, provides = ''): Candidate {
  return { name, version, architecture, ...(multiArch !== undefined && { multiArch }), provides: parseProvides(provides) };
}

describe('versionSatisfies', () => {
  const TABLE: readonly (readonly [string, RelationOp | undefined, string | undefined, boolean])[] = [
    ['1.0', undefined, undefined, true],
    ['1.0', undefined, '9', true],
    ['1.0', '<<', '1.1', true],
    ['1.0', '<<', '1.0', false],
    ['1.0', '<<', '1.0~', false],
    ['1.0~rc1', '<<', '1.0', true],
    ['1.0', '<=', '1.0', true],
    ['1.0', '<=', '1.0-0', true],
    ['1.0-1', '<=', '1.0', false],
    ['1.0', '=', '0:1.0', true],
    ['1.0', '=', '1.00', true],
    ['1.0', '=', '1.0-1', false],
    ['1.0', '>=', '1.0', true],
    ['1:0.1', '>=', '9.9', true],
    ['1.0~', '>=', '1.0', false],
    ['1.0', '>>', '1.0', false],
    ['1.0+b1', '>>', '1.0', true],
    ['2.36-9+deb12u4', '>=', '2.36', true],
  ];
  for (const [v, op, wanted, expected] of TABLE) {
    test(`${v} ${op ?? '(any)'} ${wanted ?? ''} is ${expected}`, () => {
      assert.equal(versionSatisfies(v, op, wanted), expected);
    });
  }

  test('an operator without a version is an error', () => {
    assert.throws(() => versionSatisfies('1', '>=', undefined), { code: 'DEBSTASH_E_RELATION_INVALID' });
  });

  test('invalid versions are errors', () => {
    assert.throws(() => versionSatisfies('1:', '>=', '1'), { code: 'DEBSTASH_E_VERSION_INVALID' });
    assert.throws(() => versionSatisfies('1', '>=', ''), { code: 'DEBSTASH_E_VERSION_INVALID' });
  });
});

describe('satisfiesRelation: names, versions, Provides', () => {
  const postfix = pkg('postfix', '3.7.11-0+deb12u1', 'amd64', undefined, 'default-mta, mail-transport-agent');
  const extra = pkg('libavcodec-extra59', '7:5.1.6-0+deb12u1', 'amd64', 'same', 'libavcodec59 (= 7:5.1.6-0+deb12u1)');
  const TABLE: readonly (readonly [Candidate, string, boolean, string])[] = [
    [postfix, 'postfix', true, 'by name'],
    [postfix, 'postfix (>= 3.7)', true, 'by name and version'],
    [postfix, 'postfix (>> 3.7.11-0+deb12u1)', false, 'version too low'],
    [postfix, 'postfix (= 3.7.11-0+deb12u1)', true, 'exact version'],
    [postfix, 'exim4', false, 'other name'],
    [postfix, 'mail-transport-agent', true, 'unversioned Provides satisfies an unversioned dependency'],
    [postfix, 'mail-transport-agent (>= 1)', false, 'an unversioned Provides never satisfies a versioned dependency'],
    [postfix, 'mail-transport-agent (<< 99)', false, 'not even one every version would satisfy'],
    [extra, 'libavcodec59', true, 'versioned Provides, unversioned dependency'],
    [extra, 'libavcodec59 (>= 7:5.1)', true, 'versioned Provides satisfies the constraint'],
    [extra, 'libavcodec59 (= 7:5.1.6-0+deb12u1)', true, 'exact version through Provides'],
    [extra, 'libavcodec59 (<< 7:5.1)', false, 'versioned Provides, constraint not met'],
    [extra, 'libavcodec59 (<< 6)', false, 'the epoch of the Provides version counts'],
    [extra, 'libavcodec-extra59 (<< 7:5.1.6-0+deb12u1)', false, 'own version, constraint not met'],
    [extra, 'libavcodec-extra', false, 'names match whole'],
  ];
  for (const [c, term, expected, why] of TABLE) {
    test(`${c.name} ${expected ? 'satisfies' : 'does not satisfy'} ${term}: ${why}`, () => {
      assert.equal(satisfiesRelation(c, parseRelation(term)), expected);
    });
  }

  test('a Provides with an operator other than = is ignored for versioned dependencies', () => {
    const odd: Candidate = { name: 'x', version: '1', architecture: 'amd64', provides: [{ name: 'v', op: '>=', version: '1' }] };
    assert.equal(satisfiesRelation(odd, parseRelation('v (>= 1)')), false);
    assert.equal(satisfiesRelation(odd, parseRelation('v')), true);
  });

  test('satisfiesAlternatives: any member of the group', () => {
    const [group] = parseRelations('exim4 | mail-transport-agent');
    assert.equal(satisfiesAlternatives(postfix, group), true);
    assert.equal(satisfiesAlternatives(extra, group), false);
  });
});

describe('satisfiesRelation: Multi-Arch', () => {
  const amd64: SatisfyContext = { arch: 'amd64' };
  const i386OnAmd64: SatisfyContext = { arch: 'i386', nativeArch: 'amd64' };
  const allOnAmd64: SatisfyContext = { arch: 'all', nativeArch: 'amd64' };
  const allSomewhere: SatisfyContext = { arch: 'all' };
  const conflict: SatisfyContext = { arch: 'amd64', conflict: true };
  // [context, dependency, candidate arch, candidate Multi-Arch, expected, why]
  const TABLE: readonly (readonly [SatisfyContext | undefined, string, string, string | undefined, boolean, string])[] = [
    [amd64, 'foo', 'amd64', undefined, true, 'same architecture'],
    [amd64, 'foo', 'i386', undefined, false, 'other architecture, Multi-Arch: no'],
    [amd64, 'foo', 'i386', 'no', false, 'other architecture, Multi-Arch: no'],
    [amd64, 'foo', 'i386', 'same', false, 'same only satisfies its own architecture'],
    [amd64, 'foo', 'i386', 'allowed', false, 'allowed needs :any to cross architectures'],
    [amd64, 'foo', 'i386', 'foreign', true, 'foreign satisfies any architecture'],
    [amd64, 'foo', 'i386', 'Foreign', true, 'field values compare without case'],
    [amd64, 'foo', 'all', undefined, true, 'all counts as the native architecture'],
    [amd64, 'foo:any', 'amd64', undefined, false, ':any is satisfied only by Multi-Arch: allowed, even natively'],
    [amd64, 'foo:any', 'amd64', 'foreign', false, ':any is not satisfied by foreign'],
    [amd64, 'foo:any', 'amd64', 'allowed', true, ':any, allowed'],
    [amd64, 'foo:any', 'i386', 'allowed', true, ':any, allowed, other architecture'],
    [amd64, 'foo:any', 'all', 'allowed', true, ':any, allowed, all'],
    [amd64, 'foo:native', 'amd64', undefined, true, ':native, native package'],
    [amd64, 'foo:native', 'i386', undefined, false, ':native, foreign-architecture package'],
    [amd64, 'foo:native', 'i386', 'foreign', true, ':native like unqualified: foreign satisfies'],
    [i386OnAmd64, 'foo:native', 'amd64', undefined, true, ':native is the native architecture, not the depending one'],
    [i386OnAmd64, 'foo:native', 'i386', undefined, false, ':native is the native architecture, not the depending one'],
    [amd64, 'foo:i386', 'i386', undefined, true, 'explicit architecture'],
    [amd64, 'foo:i386', 'i386', 'same', true, 'explicit architecture, same'],
    [amd64, 'foo:i386', 'amd64', undefined, false, 'explicit architecture, other package'],
    [amd64, 'foo:i386', 'amd64', 'foreign', false, 'explicit architecture: no foreign shortcut (dpkg)'],
    [amd64, 'foo:amd64', 'all', undefined, true, 'explicit native architecture, all package'],
    [i386OnAmd64, 'foo', 'i386', undefined, true, 'foreign-architecture package, same architecture'],
    [i386OnAmd64, 'foo', 'all', undefined, false, 'all is native (amd64), not i386: needs foreign'],
    [i386OnAmd64, 'foo', 'all', 'foreign', true, 'all and foreign'],
    [allOnAmd64, 'foo', 'amd64', undefined, true, 'an all package depends like a native one'],
    [allOnAmd64, 'foo', 'i386', undefined, false, 'an all package depends like a native one'],
    [allOnAmd64, 'foo', 'i386', 'foreign', true, 'foreign, from an all package'],
    [allSomewhere, 'foo', 'i386', undefined, true, 'native unknown: an all package may be anywhere'],
    [allSomewhere, 'foo', 'arm64', undefined, true, 'native unknown: an all package may be anywhere'],
    [undefined, 'foo:i386', 'amd64', undefined, true, 'no context: architectures are ignored'],
    [undefined, 'foo:any', 'amd64', undefined, true, 'no context: architectures are ignored'],
    [{}, 'foo', 'arm64', 'same', true, 'no arch in the context: architectures are ignored'],
    [conflict, 'foo', 'i386', undefined, true, 'Conflicts/Breaks: unqualified means any architecture'],
    [conflict, 'foo:any', 'i386', undefined, true, 'Conflicts/Breaks: :any matches everything'],
    [conflict, 'foo:i386', 'amd64', undefined, false, 'Conflicts/Breaks: explicit architecture still counts'],
    [conflict, 'foo:i386', 'i386', undefined, true, 'Conflicts/Breaks: explicit architecture'],
  ];
  for (const [ctx, term, arch, ma, expected, why] of TABLE) {
    const where = ctx === undefined ? 'no context' : JSON.stringify(ctx);
    test(`${where}: ${term} by foo/${arch}${ma ? ` (M-A: ${ma})` : ''} is ${expected}: ${why}`, () => {
      assert.equal(satisfiesRelation(pkg('foo', '1.0', arch, ma), parseRelation(term), ctx), expected);
    });
  }

  // Provides follow the arch rules of the package that provides.
  const PROVIDES: readonly (readonly [string, string, string | undefined, boolean, string])[] = [
    ['mta', 'i386', 'foreign', true, 'Provides of a foreign package satisfy other architectures'],
    ['mta', 'i386', undefined, false, 'Provides of a Multi-Arch: no package stay in their architecture'],
    ['mta', 'amd64', 'same', true, 'same architecture'],
    ['mta (>= 2)', 'i386', 'foreign', true, 'versioned Provides across architectures'],
    ['mta (>= 3)', 'i386', 'foreign', false, 'version still checked'],
    ['mta:any', 'i386', 'allowed', true, 'virtual:any through an allowed provider (dpkg)'],
    ['mta:any', 'amd64', 'same', false, 'virtual:any needs an allowed provider'],
    ['mta:i386', 'i386', undefined, true, 'explicit architecture of the provider'],
  ];
  for (const [term, arch, ma, expected, why] of PROVIDES) {
    test(`Provides: ${term} by x/${arch}${ma ? ` (M-A: ${ma})` : ''} is ${expected}: ${why}`, () => {
      const c = pkg('x', '1', arch, ma, 'mta (= 2)');
      assert.equal(satisfiesRelation(c, parseRelation(term), amd64), expected);
    });
  }
});

describe('relationApplies', () => {
  const ARCH: readonly (readonly [string, string, boolean])[] = [
    ['a', 'amd64', true],
    ['a', 'all', true],
    ['a [amd64]', 'amd64', true],
    ['a [amd64]', 'i386', false],
    ['a [amd64]', 'all', false],
    ['a [AMD64]', 'amd64', true],
    ['a [linux-amd64]', 'amd64', true],
    ['a [!i386]', 'amd64', true],
    ['a [!i386]', 'i386', false],
    ['a [any]', 'amd64', true],
    ['a [any]', 'hurd-i386', true],
    ['a [linux-any]', 'amd64', true],
    ['a [linux-any]', 'armhf', true],
    ['a [linux-any]', 'musl-linux-amd64', true],
    ['a [linux-any]', 'hurd-i386', false],
    ['a [linux-any]', 'kfreebsd-amd64', false],
    ['a [any-amd64]', 'amd64', true],
    ['a [any-amd64]', 'x32', true],
    ['a [any-amd64]', 'kfreebsd-amd64', true],
    ['a [any-amd64]', 'i386', false],
    ['a [any-amd64]', 'arm64', false],
    ['a [any-arm]', 'armhf', true],
    ['a [any-arm]', 'armel', true],
    ['a [any-arm]', 'arm64', false],
    ['a [any-i386]', 'hurd-i386', true],
    ['a [musl-any-any]', 'musl-linux-amd64', true],
    ['a [musl-any-any]', 'amd64', false],
    ['a [gnu-any-any]', 'amd64', true],
    ['a [!kfreebsd-any]', 'amd64', true],
    ['a [!kfreebsd-any]', 'kfreebsd-i386', false],
    ['a [!riscv64 !mipsel !mips64el]', 'amd64', true],
    ['a [!riscv64 !mipsel !mips64el]', 'mips64el', false],
    ['a [i386 kfreebsd-i386 kopensolaris-i386 any-amd64]', 'amd64', true],
    ['a [i386 kfreebsd-i386 kopensolaris-i386 any-amd64]', 'arm64', false],
    ['a [any-nonsense]', 'amd64', false],
    // Mixed lists are against Policy; dpkg evaluates them in order, and so do we.
    ['a [amd64 !i386]', 'amd64', true],
    ['a [amd64 !i386]', 'i386', false],
    ['a [amd64 !i386]', 'arm64', true],
    ['a [!i386 amd64]', 'arm64', true],
  ];
  for (const [text, arch, expected] of ARCH) {
    test(`${text} on ${arch}: ${expected}`, () => {
      assert.equal(relationApplies(parseRelation(text), arch), expected);
    });
  }

  const PROFILES: readonly (readonly [string, readonly string[] | undefined, boolean])[] = [
    ['a <!nocheck>', undefined, true],
    ['a <!nocheck>', [], true],
    ['a <!nocheck>', ['nocheck'], false],
    ['a <!nocheck>', ['nodoc'], true],
    ['a <stage1>', [], false],
    ['a <stage1>', ['stage1'], true],
    ['a <stage1 cross>', ['stage1'], false],
    ['a <stage1 cross>', ['cross', 'stage1'], true],
    ['a <!nodoc> <!nocheck>', ['nodoc'], true],
    ['a <!nodoc> <!nocheck>', ['nodoc', 'nocheck'], false],
    ['a <!nodoc !pkg.linux.quick !stage1>', [], true],
    ['a <!nodoc !pkg.linux.quick !stage1>', ['pkg.linux.quick'], false],
    ['a <stage1 !cross> <stage2>', ['stage2', 'cross'], true],
  ];
  for (const [text, profiles, expected] of PROFILES) {
    test(`${text} with profiles ${JSON.stringify(profiles)}: ${expected}`, () => {
      assert.equal(relationApplies(parseRelation(text), 'amd64', profiles), expected);
    });
  }

  test('arch restriction and profiles must both hold', () => {
    const r = parseRelation('python3-docutils [linux-any] <!nodoc>');
    assert.equal(relationApplies(r, 'amd64'), true);
    assert.equal(relationApplies(r, 'hurd-i386'), false);
    assert.equal(relationApplies(r, 'amd64', ['nodoc']), false);
  });

  test('archIsConcerned on an empty list is false (nothing named)', () => {
    assert.equal(archIsConcerned('amd64', []), false);
  });
});

describe('reduceRelations', () => {
  const field =
    'debhelper-compat (= 13), libgpm-dev [linux-any], nodejs <!nodoc> <!nocheck>, ' +
    'libc6-dev [hurd-i386] | libc0.3-dev [hurd-any], gdb:native [!riscv64] <!nocheck>';
  test('amd64, no profiles', () => {
    assert.equal(formatRelations(reduceRelations(parseRelations(field), 'amd64')), 'debhelper-compat (= 13), libgpm-dev, nodejs, gdb:native');
  });
  test('hurd-i386 with nocheck', () => {
    assert.equal(
      formatRelations(reduceRelations(parseRelations(field), 'hurd-i386', ['nocheck', 'nodoc'])),
      'debhelper-compat (= 13), libc6-dev | libc0.3-dev',
    );
  });
  test('riscv64 with nodoc', () => {
    assert.equal(
      formatRelations(reduceRelations(parseRelations(field), 'riscv64', ['nodoc'])),
      'debhelper-compat (= 13), libgpm-dev, nodejs',
    );
  });
});
