import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSourcesFile, parseSourcesList } from '../../src/deb/apt-sources.js';
import { isCode } from '../helpers/coded-error.js';

const KEY = `-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEZQAAABYJKwYBBAHaRw8BAQdA
=abcd
-----END PGP PUBLIC KEY BLOCK-----`;

test('deb822 .sources: several entries, comments, embedded key, Enabled: no', () => {
  const text = [
    '# the main archive',
    'Types: deb deb-src',
    'URIs: http://archive.example/debian/',
    'Suites: bookworm bookworm-updates',
    'Components: main contrib',
    'Architectures: amd64',
    'Signed-By: /usr/share/keyrings/example.gpg',
    '',
    'Types: deb',
    'URIs: http://local.example/repo',
    'Suites: stable',
    'Components: main',
    'Enabled: no',
    'Signed-By:',
    ...KEY.split('\n').map((l) => ` ${l === '' ? '.' : l}`),
    '',
  ].join('\n');
  const [a, b] = parseSourcesFile(text, 'x.sources');
  assert.deepEqual(a, {
    types: ['deb', 'deb-src'],
    uris: ['http://archive.example/debian/'],
    suites: ['bookworm', 'bookworm-updates'],
    components: ['main', 'contrib'],
    architectures: ['amd64'],
    signedBy: '/usr/share/keyrings/example.gpg',
    enabled: true,
    origin: 'x.sources:2',
  });
  assert.equal(b?.enabled, false);
  assert.equal(b?.signedBy, KEY);
});

test('deb822 .sources: a flat repository needs no Components; others do', () => {
  const [flat] = parseSourcesFile('Types: deb\nURIs: file:/srv/repo\nSuites: ./\n');
  assert.deepEqual(flat?.components, []);
  assert.throws(
    () => parseSourcesFile('Types: deb\nURIs: http://a.example/\nSuites: stable\n', 'y.sources'),
    isCode('DEBSTASH_E_APT_SOURCES_INVALID', /Components/),
  );
});

test('one-line sources.list with options and comments', () => {
  const list = parseSourcesList(
    [
      '# comment',
      'deb [arch=amd64,arm64 signed-by=/k.gpg] http://a.example/debian bookworm main non-free # trailing',
      '',
      'deb-src http://a.example/debian bookworm main',
    ].join('\n'),
    'sources.list',
  );
  assert.equal(list.length, 2);
  assert.deepEqual(list[0], {
    types: ['deb'],
    uris: ['http://a.example/debian'],
    suites: ['bookworm'],
    components: ['main', 'non-free'],
    architectures: ['amd64', 'arm64'],
    signedBy: '/k.gpg',
    enabled: true,
    origin: 'sources.list:2',
  });
  assert.deepEqual(list[1]?.types, ['deb-src']);
});

test('one-line sources.list: garbage is a coded error naming the line', () => {
  assert.throws(
    () => parseSourcesList('deb\n', 'l.list'),
    isCode('DEBSTASH_E_APT_SOURCES_INVALID', /^l\.list:1:/),
  );
  assert.throws(() => parseSourcesList('rpm http://a b c\n'), /unknown type "rpm"/);
});
