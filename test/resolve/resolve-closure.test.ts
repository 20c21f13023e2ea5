import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveClosure, type ResolveOptions } from '../../src/resolve/resolve-closure.js';
import { ids, indexOf, stanza } from './package-fixtures.js';

const AMD64: ResolveOptions = { architectures: ['amd64'] };

describe('resolveClosure: dependencies and alternatives', () => {
  test('follows a chain of Depends and Pre-Depends, and nothing else', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b' }),
      stanza('b 1 amd64', { 'Pre-Depends': 'c (>= 1)' }),
      stanza('c 1 amd64', { Suggests: 'd', Enhances: 'e', Conflicts: 'f' }),
      stanza('d 1 amd64'),
      stanza('e 1 amd64'),
      stanza('f 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'b_1_amd64', 'c_1_amd64']);
    assert.deepEqual(r.unresolved, []);
  });

  test('keeps every root, whatever its version, and adds nothing for a satisfied dependency', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'lib (>= 1)' }),
      stanza('lib 1 amd64'),
      stanza('lib 2 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64'), get('lib_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'lib_1_amd64']);
  });

  test('an alternative satisfied by a root adds nothing', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'x | y' }),
      stanza('x 1 amd64'),
      stanza('y 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64'), get('y_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'y_1_amd64']);
  });

  test('an alternative pulled in by a forced dependency elsewhere adds nothing (choices wait)', () => {
    // `a` is visited first; its `x | y` is settled only after `z`'s hard dependency on y.
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'x | y, z' }),
      stanza('z 1 amd64', { Depends: 'w' }),
      stanza('w 1 amd64', { Depends: 'y' }),
      stanza('x 1 amd64'),
      stanza('y 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'w_1_amd64', 'y_1_amd64', 'z_1_amd64']);
  });

  test('when no alternative is present, only the first is added', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'x | y | z' }),
      stanza('x 1 amd64'),
      stanza('y 1 amd64'),
      stanza('z 1 amd64'),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'x_1_amd64']);
  });

  test('an unsatisfiable first alternative gives way to the second', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'x (>= 2) | gone | y' }),
      stanza('x 1 amd64'),
      stanza('y 1 amd64'),
      stanza('z 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'y_1_amd64']);
    assert.deepEqual(r.unresolved, []);
  });

  test('a versioned dependency takes the highest version that satisfies it, not the highest overall', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'lib (<< 3~)' }),
      stanza('lib 1 amd64'),
      stanza('lib 2.10 amd64'),
      stanza('lib 2.9 amd64'),
      stanza('lib 3 amd64'),
      stanza('b 1 amd64', { Depends: 'lib' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'lib_2.10_amd64']);
    assert.deepEqual(ids(resolveClosure([get('b_1_amd64')], [index], AMD64)), ['b_1_amd64', 'lib_3_amd64']);
  });

  test('a missing dependency is reported with its whole group, canonically written', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'ok,  libfoo(>=2)|libbar ,other' }),
      stanza('ok 1 amd64'),
      stanza('other 1 amd64'),
      stanza('libfoo 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'ok_1_amd64', 'other_1_amd64']);
    assert.deepEqual(r.unresolved, [{ package: 'a_1_amd64', dependency: 'libfoo (>= 2) | libbar' }]);
  });

  test('unresolved entries are sorted and not repeated', () => {
    const { index, get } = indexOf([
      stanza('b 1 all', { Depends: 'zz, gone' }),
      stanza('a 1 amd64', { Depends: 'gone, b' }),
    ]);
    // `b` is `all`: checked for both architectures, reported once.
    const r = resolveClosure([get('b_1_all'), get('a_1_amd64')], [index], { architectures: ['amd64', 'i386'] });
    assert.deepEqual(r.unresolved, [
      { package: 'a_1_amd64', dependency: 'gone' },
      { package: 'b_1_all', dependency: 'gone' },
      { package: 'b_1_all', dependency: 'zz' },
    ]);
  });

  test('a dependency cycle terminates and selects each package once', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b' }),
      stanza('b 1 amd64', { Depends: 'c' }),
      stanza('c 1 amd64', { 'Pre-Depends': 'a' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'b_1_amd64', 'c_1_amd64']);
  });

  test('Recommends are followed only with withRecommends, and a missing one is not reported', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b', Recommends: 'r | s, gone' }),
      stanza('b 1 amd64'),
      stanza('r 1 amd64', { Depends: 'rr' }),
      stanza('rr 1 amd64', { Recommends: 'rrr' }),
      stanza('rrr 1 amd64'),
      stanza('s 1 amd64'),
    ]);
    const without = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(without), ['a_1_amd64', 'b_1_amd64']);
    const withRec = resolveClosure([get('a_1_amd64')], [index], { ...AMD64, withRecommends: true });
    assert.deepEqual(ids(withRec), ['a_1_amd64', 'b_1_amd64', 'r_1_amd64', 'rr_1_amd64', 'rrr_1_amd64']);
    assert.deepEqual(withRec.unresolved, []);
  });

  test('a Recommends is settled after every Depends, so a hard dependency can satisfy it', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Recommends: 'r | s', Depends: 'b' }),
      stanza('b 1 amd64', { Depends: 's' }),
      stanza('r 1 amd64'),
      stanza('s 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], { ...AMD64, withRecommends: true });
    assert.deepEqual(ids(r), ['a_1_amd64', 'b_1_amd64', 's_1_amd64']);
  });

  test('a relation field that does not parse is reported, and the rest goes on', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b (>= )', 'Pre-Depends': 'c' }),
      stanza('b 1 amd64'),
      stanza('c 1 amd64'),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'c_1_amd64']);
    assert.deepEqual(r.unresolved, [{ package: 'a_1_amd64', dependency: 'b (>= )' }]);
  });

  test('a candidate with a version dpkg refuses satisfies nothing', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b (>= 1)' }),
      stanza('b x:1 amd64'),
      stanza('b 1.5 amd64'),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'b_1.5_amd64']);
  });

  test('refuses a mirror without architectures', () => {
    const { index } = indexOf([]);
    assert.throws(() => resolveClosure([], [index], { architectures: [] }), RangeError);
  });
});

describe('resolveClosure: virtual packages', () => {
  test('one provider is taken', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'mail-transport-agent' }),
      stanza('postfix 3 amd64', { Provides: 'mail-transport-agent' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'postfix_3_amd64']);
  });

  test('among several providers: highest Priority, then name, whatever the index order', () => {
    const providers = [
      stanza('zmail 1 amd64', { Provides: 'mta', Priority: 'standard' }),
      stanza('bmail 1 amd64', { Provides: 'mta', Priority: 'optional' }),
      stanza('amail 1 amd64', { Provides: 'mta', Priority: 'extra' }),
      stanza('ymail 1 amd64', { Provides: 'mta', Priority: 'standard' }),
    ];
    for (const order of [providers, [...providers].reverse()]) {
      const { index, get } = indexOf([stanza('a 1 amd64', { Depends: 'mta' }), ...order]);
      assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'ymail_1_amd64']);
    }
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'mta' }),
      stanza('bmail 1 amd64', { Provides: 'mta', Priority: 'optional' }),
      stanza('amail 1 amd64', { Provides: 'mta' }),
      stanza('cmail 1 amd64', { Provides: 'mta', Priority: 'optional', Essential: 'yes' }),
    ]);
    // Essential first (as apt), then optional beats a missing Priority.
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'cmail_1_amd64']);
  });

  test('a provider already selected is used, even with a lower Priority', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'mta' }),
      stanza('good 1 amd64', { Provides: 'mta', Priority: 'required' }),
      stanza('picked 1 amd64', { Provides: 'mta', Priority: 'extra' }),
    ]);
    const r = resolveClosure([get('a_1_amd64'), get('picked_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64', 'picked_1_amd64']);
  });

  test('the choice among providers waits for a hard dependency on one of them', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'mta, b' }),
      stanza('b 1 amd64', { Depends: 'picked' }),
      stanza('good 1 amd64', { Provides: 'mta', Priority: 'required' }),
      stanza('picked 1 amd64', { Provides: 'mta', Priority: 'extra' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'b_1_amd64', 'picked_1_amd64']);
  });

  test('a real package beats providers of the same name', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'awk' }),
      stanza('awk 1 amd64', { Priority: 'extra' }),
      stanza('mawk 1 amd64', { Provides: 'awk', Priority: 'required' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'awk_1_amd64']);
  });

  test('a versioned dependency is met by a versioned Provides with a matching version', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'libfoo (>= 2)' }),
      stanza('libfoo 1 amd64'),
      stanza('old 1 amd64', { Provides: 'libfoo (= 1.5)', Priority: 'required' }),
      stanza('new 1 amd64', { Provides: 'libfoo (= 2.1)', Priority: 'optional' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'new_1_amd64']);
  });

  test('an unversioned Provides never meets a versioned dependency', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'libfoo (>= 1)' }),
      stanza('p 1 amd64', { Provides: 'libfoo' }),
      stanza('b 1 amd64', { Depends: 'libfoo' }),
    ]);
    const r = resolveClosure([get('a_1_amd64')], [index], AMD64);
    assert.deepEqual(ids(r), ['a_1_amd64']);
    assert.deepEqual(r.unresolved, [{ package: 'a_1_amd64', dependency: 'libfoo (>= 1)' }]);
    assert.deepEqual(ids(resolveClosure([get('b_1_amd64')], [index], AMD64)), ['b_1_amd64', 'p_1_amd64']);
  });
});

describe('resolveClosure: architectures', () => {
  const TWO: ResolveOptions = { architectures: ['amd64', 'i386'] };

  test('a package resolves in its own architecture; Multi-Arch: same libraries are per architecture', () => {
    const { index, get } = indexOf([
      stanza('app 1 i386', { Depends: 'libz' }),
      stanza('libz 1 amd64', { 'Multi-Arch': 'same' }),
      stanza('libz 1 i386', { 'Multi-Arch': 'same' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('app_1_i386')], [index], TWO)), ['app_1_i386', 'libz_1_i386']);
  });

  test('a Multi-Arch: foreign tool of another architecture satisfies a plain dependency', () => {
    const { index, get } = indexOf([
      stanza('app 1 i386', { Depends: 'tool, lib' }),
      stanza('tool 1 amd64', { 'Multi-Arch': 'foreign' }),
      stanza('lib 1 amd64'),
    ]);
    const r = resolveClosure([get('app_1_i386')], [index], TWO);
    assert.deepEqual(ids(r), ['app_1_i386', 'tool_1_amd64']);
    assert.deepEqual(r.unresolved, [{ package: 'app_1_i386', dependency: 'lib' }]);
  });

  test('a foreign tool of the depender\'s own architecture is preferred', () => {
    const { index, get } = indexOf([
      stanza('app 1 i386', { Depends: 'tool' }),
      stanza('tool 2 amd64', { 'Multi-Arch': 'foreign' }),
      stanza('tool 1 i386', { 'Multi-Arch': 'foreign' }),
    ]);
    assert.deepEqual(ids(resolveClosure([get('app_1_i386')], [index], TWO)), ['app_1_i386', 'tool_1_i386']);
  });

  test(':any is met by Multi-Arch: allowed of any architecture (own first), not by other packages', () => {
    const { index, get } = indexOf([
      stanza('app 1 i386', { Depends: 'perl:any' }),
      stanza('perl 1 amd64', { 'Multi-Arch': 'allowed' }),
      stanza('perl 1 i386', { 'Multi-Arch': 'allowed' }),
      stanza('app2 1 i386', { Depends: 'perl:any' }),
      stanza('other 1 i386', { Depends: 'python:any' }),
      stanza('python 1 i386'),
    ]);
    assert.deepEqual(ids(resolveClosure([get('app_1_i386')], [index], TWO)), ['app_1_i386', 'perl_1_i386']);
    const only64 = indexOf([
      stanza('app 1 i386', { Depends: 'perl:any' }),
      stanza('perl 1 amd64', { 'Multi-Arch': 'allowed' }),
    ]);
    assert.deepEqual(ids(resolveClosure([only64.get('app_1_i386')], [only64.index], TWO)), ['app_1_i386', 'perl_1_amd64']);
    const r = resolveClosure([get('other_1_i386')], [index], TWO);
    assert.deepEqual(ids(r), ['other_1_i386']);
    assert.deepEqual(r.unresolved, [{ package: 'other_1_i386', dependency: 'python:any' }]);
  });

  test('an Architecture: all package resolves its dependencies in every mirror architecture', () => {
    const { index, get } = indexOf([
      stanza('doc 1 all', { Depends: 'libz, tool, data' }),
      stanza('libz 1 amd64', { 'Multi-Arch': 'same' }),
      stanza('libz 1 i386', { 'Multi-Arch': 'same' }),
      stanza('libz 1 arm64', { 'Multi-Arch': 'same' }),
      stanza('tool 1 amd64', { 'Multi-Arch': 'foreign' }),
      stanza('data 1 all'),
    ]);
    const r = resolveClosure([get('doc_1_all')], [index], TWO);
    assert.deepEqual(ids(r), ['data_1_all', 'doc_1_all', 'libz_1_amd64', 'libz_1_i386', 'tool_1_amd64']);
    assert.deepEqual(r.unresolved, []);
  });

  test('candidates of architectures the mirror does not carry are never added', () => {
    const { index, get } = indexOf([
      stanza('app 1 amd64', { Depends: 'tool | lib' }),
      stanza('tool 1 arm64', { 'Multi-Arch': 'foreign' }),
      stanza('lib 1 amd64'),
    ]);
    assert.deepEqual(ids(resolveClosure([get('app_1_amd64')], [index], AMD64)), ['app_1_amd64', 'lib_1_amd64']);
  });

  test('arch restrictions in a binary dependency are evaluated for the context architecture', () => {
    const { index, get } = indexOf([
      stanza('doc 1 all', { Depends: 'x [i386] | y, z [!i386], w [linux-any]' }),
      stanza('x 1 i386'),
      stanza('y 1 amd64'),
      stanza('y 1 i386'),
      stanza('z 1 amd64'),
      stanza('z 1 i386'),
      stanza('w 1 amd64'),
      stanza('w 1 i386'),
    ]);
    const r = resolveClosure([get('doc_1_all')], [index], TWO);
    assert.deepEqual(ids(r), ['doc_1_all', 'w_1_amd64', 'w_1_i386', 'x_1_i386', 'y_1_amd64', 'z_1_amd64']);
  });

  test('a build-profile restriction drops the term when installing', () => {
    const { index, get } = indexOf([
      stanza('a 1 amd64', { Depends: 'b <stage1>, c <!stage1>' }),
      stanza('b 1 amd64'),
      stanza('c 1 amd64'),
    ]);
    assert.deepEqual(ids(resolveClosure([get('a_1_amd64')], [index], AMD64)), ['a_1_amd64', 'c_1_amd64']);
  });
});

describe('resolveClosure: --deps-from', () => {
  test('a dependency satisfied by another mirror counts as satisfied and is not selected', () => {
    const security = indexOf([stanza('app 1+deb12u1 amd64', { Depends: 'libfoo (>= 2), libfoo-data' })]);
    const main = indexOf([
      stanza('libfoo 2 amd64', { Depends: 'libc6' }),
      stanza('libfoo-data 2 all'),
      stanza('libc6 2.36 amd64'),
    ]);
    const r = resolveClosure([security.get('app_1+deb12u1_amd64')], [security.index, main.index], AMD64);
    assert.deepEqual(ids(r), ['app_1+deb12u1_amd64']);
    assert.deepEqual(r.unresolved, []);
  });

  test('the other mirror\'s package has its dependencies followed: what only this mirror has is selected', () => {
    const security = indexOf([
      stanza('app 1+deb12u1 amd64', { Depends: 'libfoo' }),
      stanza('libbar 3+deb12u1 amd64'),
      stanza('unrelated 1 amd64'),
    ]);
    const main = indexOf([
      stanza('libfoo 2 amd64', { Depends: 'libbar (>= 3), libbaz, gone' }),
      stanza('libbar 2 amd64'),
      stanza('libbaz 1 amd64'),
    ]);
    const r = resolveClosure([security.get('app_1+deb12u1_amd64')], [security.index, main.index], AMD64);
    assert.deepEqual(ids(r), ['app_1+deb12u1_amd64', 'libbar_3+deb12u1_amd64']);
    assert.deepEqual(r.unresolved, [{ package: 'libfoo_2_amd64', dependency: 'gone' }]);
  });

  test('an alternative already carried by the other mirror is preferred to adding the first one', () => {
    const own = indexOf([stanza('app 1 amd64', { Depends: 'x | y' }), stanza('x 1 amd64')]);
    const other = indexOf([stanza('y 1 amd64')]);
    assert.deepEqual(ids(resolveClosure([own.get('app_1_amd64')], [own.index, other.index], AMD64)), ['app_1_amd64']);
  });
});
