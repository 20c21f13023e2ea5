import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDeb822 } from '../../src/deb/deb822-parse.js';
import { Paragraph } from '../../src/deb/paragraph.js';
import { PackageIndex } from '../../src/resolve/package-index.js';

describe('PackageIndex', () => {
  test('indexes by name and by provided name, with Multi-Arch and parsed Provides', () => {
    const index = new PackageIndex();
    const [a, b, c] = parseDeb822(
      [
        'Package: mawk\nVersion: 1.3.4\nArchitecture: amd64\nMulti-Arch: foreign\nProvides: awk',
        'Package: gawk\nVersion: 5.2\nArchitecture: amd64\nProvides: awk,\n  gawk-doc (= 5.2) ,awk (= 5)',
        'package: awk\nversion: 1\narchitecture: all\nmulti-arch: allowed',
      ].join('\n\n'),
    ).map((p) => index.add(p));
    assert.equal(index.size, 3);
    assert.deepEqual([...index.names], ['mawk', 'gawk', 'awk']);
    assert.deepEqual(index.byName('awk'), [c]);
    assert.deepEqual(index.providers('awk'), [a, b]);
    assert.deepEqual(index.providers('gawk-doc'), [b]);
    assert.deepEqual(index.providers('mawk'), []);
    assert.deepEqual(index.byName('nothing'), []);
    assert.equal(a.multiArch, 'foreign');
    assert.equal(b.multiArch, undefined);
    // Field names are case-insensitive.
    assert.deepEqual([c.name, c.version, c.architecture, c.multiArch], ['awk', '1', 'all', 'allowed']);
    assert.deepEqual(b.provides, [{ name: 'awk' }, { name: 'gawk-doc', op: '=', version: '5.2' }, { name: 'awk', op: '=', version: '5' }]);
    assert.deepEqual(c.provides, []);
    assert.deepEqual([...index.packages()], [a, b, c]);
  });

  test('a Provides that does not parse provides nothing, and does not fail the index', () => {
    const index = new PackageIndex();
    const p = index.add(Paragraph.from({ Package: 'x', Version: '1', Architecture: 'amd64', Provides: 'foo (>= 1)' }));
    assert.deepEqual(p.provides, []);
    assert.equal(index.size, 1);
  });

  test('paragraphs with the same field order share the field lookup, different orders do not mix', () => {
    const index = new PackageIndex();
    const packages = parseDeb822(
      [
        'Package: a\nVersion: 1\nArchitecture: amd64',
        'Package: b\nVersion: 2\nArchitecture: i386',
        'Version: 3\nPackage: c\nArchitecture: all\nProvides: v',
        'Architecture: arm64\nPackage: d',
      ].join('\n\n'),
    ).map((p) => index.add(p));
    assert.deepEqual(
      packages.map((p) => [p.name, p.version, p.architecture]),
      [
        ['a', '1', 'amd64'],
        ['b', '2', 'i386'],
        ['c', '3', 'all'],
        ['d', '', 'arm64'],
      ],
    );
    assert.deepEqual(index.providers('v').map((p) => p.name), ['c']);
  });
});
