import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAptlyPackages } from '../../src/model/aptly-packages.js';
import { isCode } from '../helpers/coded-error.js';

const stanza = (name: string, sha: string, extra = ''): string =>
  `Package: ${name}\nArchitecture: amd64\nVersion: 1.0\nFilename: ${name}_1.0_amd64.deb\nSize: 10\nSHA256: ${sha}\nDescription: test\n multi-line\n .\n more${extra}\n`;

test('reads the stanzas and pool paths of aptly package show -with-files', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const text = `${stanza('one', a)}\nFiles in the pool:\n  /srv/aptly/pool/aa/aa/one_1.0_amd64.deb\n\n${stanza('two', b, '\nMulti-Arch: same')}\nFiles in the pool:\n  /srv/aptly/pool/bb/bb/two_1.0_amd64.deb\n\n`;
  const got = parseAptlyPackages(text);
  assert.deepEqual([...got.keys()], ['one_1.0_amd64', 'two_1.0_amd64']);
  assert.deepEqual(got.get('one_1.0_amd64')?.poolFiles, ['/srv/aptly/pool/aa/aa/one_1.0_amd64.deb']);
  assert.equal(got.get('one_1.0_amd64')?.paragraph.get('Description'), 'test\n multi-line\n .\n more');
  assert.equal(got.get('two_1.0_amd64')?.paragraph.get('Multi-Arch'), 'same');
  assert.equal(parseAptlyPackages('').size, 0, 'an empty database prints nothing');
});

test('two different packages of one name, version and architecture are refused, the same one twice is not', () => {
  const one = (sha: string): string => `${stanza('dup', sha)}\nFiles in the pool:\n  /p/${sha.slice(0, 4)}_dup.deb\n\n`;
  assert.equal(parseAptlyPackages(one('c'.repeat(64)) + one('c'.repeat(64))).size, 1);
  assert.throws(() => parseAptlyPackages(one('c'.repeat(64)) + one('d'.repeat(64))), isCode('DEBSTASH_E_APTLY_READ', /two different packages dup_1\.0_amd64/));
});
