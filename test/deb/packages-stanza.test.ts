import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readDeb, type DebInfo } from '../../src/deb/deb-reader.js';
import { packagesStanza } from '../../src/deb/packages-stanza.js';
import { buildDeb, type DebBuildOptions, type DebSpec } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';

const dir = mkdtempSync(join(tmpdir(), 'debstash-stanza-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const packages: [DebSpec, DebBuildOptions['compression']][] = [
  [{ name: 'minimal', version: '1.0', architecture: 'all' }, 'gzip'],
  [
    {
      name: 'rich',
      version: '1:2.3~rc1-4+deb12u1',
      architecture: 'amd64',
      depends: 'libc6 (>= 2.34), libssl3 (>= 3.0.0) | libssl1.1',
      provides: 'rich-virtual (= 2.3), other-virtual',
      extraFields: {
        Source: 'rich-src (2.3~rc1-4)',
        'Installed-Size': '1234',
        'Pre-Depends': 'dpkg (>= 1.19)',
        Recommends: 'foo',
        Suggests: 'bar',
        Conflicts: 'old-rich',
        Breaks: 'older-rich (<< 1.0)',
        Replaces: 'old-rich',
        'Built-Using': 'gcc-12 (= 12.2.0-14)',
        Section: 'net',
        Priority: 'optional',
        'Multi-Arch': 'same',
        Homepage: 'https://rich.example.invalid/',
        Description:
          'a package with every field\n This is the long description.\n .\n   indented text kept as is\n ..\n ...\n' +
          '\tTab-indented line.\n Trailing blanks go.   \n Last line.',
        'X-Custom-Field': 'custom',
        'Original-Maintainer': 'Upstream Person <up@example.invalid>',
        Essential: 'no',
        'Build-Essential': 'yes',
        Protected: 'yes',
        Tag: 'role::program',
      },
    },
    'xz',
  ],
  [
    {
      name: 'lowercase-names',
      version: '0.1-1',
      architecture: 'arm64',
      extraFields: { 'multi-arch': 'foreign', 'x-zzz': 'last', 'X-Aaa': 'first', section: 'misc', 'Empty-Continued': '\n .' },
    },
    'zstd',
  ],
  [{ name: 'uncompressed', version: '3', architecture: 'i386', depends: 'a, b, c', extraFields: { Description: 'one line only' } }, 'none'],
];

describe('packagesStanza matches dpkg-scanpackages', () => {
  test('every field, order and spelling, for packages of each compression', async () => {
    const pool = join(dir, 'pool');
    const infos = new Map<string, { info: DebInfo; file: string }>();
    for (const [spec, compression] of packages) {
      const path = await buildDeb(pool, spec, { compression });
      infos.set(spec.name, { info: await readDeb(createReadStream(path)), file: `pool/${basename(path)}` });
    }
    const scanned = execFileSync('dpkg-scanpackages', ['-m', 'pool'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const stanzas = scanned.split('\n\n').filter((stanza) => stanza !== '');
    assert.equal(stanzas.length, packages.length);
    for (const expected of stanzas) {
      const name = /^Package: (.*)$/m.exec(expected)![1];
      const { info, file } = infos.get(name)!;
      assert.equal(packagesStanza(info, file), `${expected}\n`, name);
    }
  });
});

describe('packagesStanza', () => {
  const info = (control: string): DebInfo => ({
    control,
    size: 1234,
    md5: 'a'.repeat(32),
    sha1: 'b'.repeat(40),
    sha256: 'c'.repeat(64),
    sha512: 'd'.repeat(128),
    controlCompression: 'xz',
    dataCompression: 'xz',
  });

  test('fields of the index replace any in the control file', () => {
    const stanza = packagesStanza(info('Package: p\nVersion: 1\nSize: 99\nfilename: evil.deb\nMD5sum: 0\n'), 'pool/p_1_all.deb');
    assert.equal(
      stanza,
      'Package: p\nVersion: 1\nFilename: pool/p_1_all.deb\nSize: 1234\n' +
        `MD5sum: ${'a'.repeat(32)}\nSHA1: ${'b'.repeat(40)}\nSHA256: ${'c'.repeat(64)}\n`,
    );
  });

  test('a control file that is not one paragraph with a Package is DEBSTASH_E_DEB_INVALID', () => {
    for (const control of ['Version: 1\n', 'Package: a\n\nPackage: b\n']) {
      assert.throws(
        () => packagesStanza(info(control), 'x.deb'),
        isCode('DEBSTASH_E_DEB_INVALID'),
      );
    }
  });

  test('a Filename that would break the paragraph is refused', () => {
    assert.throws(() => packagesStanza(info('Package: p\n'), 'a\nb.deb'), RangeError);
  });
});
