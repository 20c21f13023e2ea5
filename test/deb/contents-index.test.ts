import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentsIndexText } from '../../src/deb/contents-index.js';

test('Contents lines: sorted by path, padded like Debian, owners by package name', () => {
  const text = contentsIndexText([
    { name: 'busybox-static', section: 'shells', paths: ['bin/busybox'] },
    { name: 'busybox', section: 'utils', paths: ['bin/busybox', 'usr/share/doc/busybox/copyright'] },
    { name: 'nosection', section: '', paths: ['a/very/long/path/that/goes/past/the/fifty-fifth/column/file.txt'] },
    { name: 'busybox', section: 'utils', paths: ['bin/busybox'] },
  ]);
  const lines = text.split('\n');
  assert.deepEqual(lines, [
    'a/very/long/path/that/goes/past/the/fifty-fifth/column/file.txt nosection',
    `${'bin/busybox'.padEnd(55)} utils/busybox,shells/busybox-static`,
    `${'usr/share/doc/busybox/copyright'.padEnd(55)} utils/busybox`,
    '',
  ]);
});

test('a path with a line break is left out; no packages give an empty index', () => {
  assert.equal(contentsIndexText([{ name: 'odd', section: 'misc', paths: ['usr/bad\nname', 'usr/good'] }]), `${'usr/good'.padEnd(55)} misc/odd\n`);
  assert.equal(contentsIndexText([]), '');
});
