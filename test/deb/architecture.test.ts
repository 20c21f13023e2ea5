import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { archMatches, archTuple, isArchWildcard } from '../../src/deb/architecture.js';

describe('archTuple', () => {
  const TUPLES: readonly (readonly [string, string | undefined])[] = [
    ['amd64', 'base-gnu-linux-amd64'],
    ['linux-amd64', 'base-gnu-linux-amd64'],
    ['i386', 'base-gnu-linux-i386'],
    ['arm64', 'base-gnu-linux-arm64'],
    ['armhf', 'eabihf-gnu-linux-arm'],
    ['armel', 'eabi-gnu-linux-arm'],
    ['x32', 'x32-gnu-linux-amd64'],
    ['mips64el', 'abi64-gnu-linux-mips64el'],
    ['ppc64el', 'base-gnu-linux-ppc64el'],
    ['s390x', 'base-gnu-linux-s390x'],
    ['riscv64', 'base-gnu-linux-riscv64'],
    ['loong64', 'base-gnu-linux-loong64'],
    ['hurd-i386', 'base-gnu-hurd-i386'],
    ['hurd-amd64', 'base-gnu-hurd-amd64'],
    ['kfreebsd-amd64', 'base-gnu-kfreebsd-amd64'],
    ['musl-linux-amd64', 'base-musl-linux-amd64'],
    ['musl-linux-armhf', 'eabihf-musl-linux-arm'],
    ['AMD64', 'base-gnu-linux-amd64'],
    ['all', undefined],
    ['any', undefined],
    ['source', undefined],
    ['linux-any', undefined],
    ['nonsense', undefined],
  ];
  for (const [arch, tuple] of TUPLES) {
    test(`${arch} is ${tuple ?? 'unknown'}`, () => {
      const t = archTuple(arch);
      assert.equal(t && `${t.abi}-${t.libc}-${t.os}-${t.cpu}`, tuple);
    });
  }
});

describe('archMatches', () => {
  test('names and wildcards', () => {
    assert.equal(archMatches('amd64', 'amd64'), true);
    assert.equal(archMatches('amd64', 'any'), true);
    assert.equal(archMatches('all', 'any'), true);
    assert.equal(archMatches('all', 'all'), true);
    assert.equal(archMatches('all', 'linux-any'), false);
    assert.equal(archMatches('amd64', 'linux-any'), true);
    assert.equal(archMatches('amd64', 'any-amd64'), true);
    assert.equal(archMatches('amd64', 'gnu-linux-any'), true);
    assert.equal(archMatches('amd64', 'any-any-linux-any'), true);
    assert.equal(archMatches('amd64', 'base-any-any-amd64'), true);
    assert.equal(archMatches('x32', 'base-any-any-amd64'), false);
    assert.equal(archMatches('amd64', 'any-any-any-any-any'), false);
    assert.equal(archMatches('hurd-i386', 'linux-any'), false);
    assert.equal(archMatches('i386', 'amd64'), false);
    assert.equal(archMatches('amd64', 'AMD64'), true);
    assert.equal(archMatches('nonsense', 'linux-any'), false);
    assert.equal(archMatches('nonsense', 'nonsense'), true);
  });

  test('isArchWildcard', () => {
    assert.equal(isArchWildcard('any'), true);
    assert.equal(isArchWildcard('linux-any'), true);
    assert.equal(isArchWildcard('any-amd64'), true);
    assert.equal(isArchWildcard('amd64'), false);
    assert.equal(isArchWildcard('hurd-i386'), false);
  });
});
