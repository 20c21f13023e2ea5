import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readDebFileList } from '../../src/deb/contents-files.js';
import { controlText } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';
import { makeAr } from '../helpers/make-ar.js';

const dir = mkdtempSync(join(tmpdir(), 'debstash-contents-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Non-directory members of a .deb as `dpkg-deb -c` lists them, without "./". */
function dpkgList(deb: string): string[] {
  const out = execFileSync('dpkg-deb', ['-c', deb], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('d'))
    .map((line) => {
      const m = /^\S+\s+\S+\s+\d+\s+\S+\s+\S+\s+\.\/(.*?)(?: -> .*| link to .*)?$/.exec(line);
      assert.ok(m, `unexpected dpkg-deb -c line: ${line}`);
      return m[1] as string;
    });
}

let root: string;
const built = new Map<string, string>();

before(() => {
  // A tree with what Contents must list: files, a symlink, a hard link, nested directories,
  // a blank in a name, and an empty directory (which it must not).
  root = join(dir, 'root');
  mkdirSync(join(root, 'DEBIAN'), { recursive: true, mode: 0o755 });
  writeFileSync(join(root, 'DEBIAN', 'control'), controlText({ name: 'listed', version: '1.0-1', architecture: 'amd64' }));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  mkdirSync(join(root, 'usr/share/doc/listed'), { recursive: true });
  mkdirSync(join(root, 'var/lib/listed'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/listed'), '#!/bin/sh\n');
  linkSync(join(root, 'usr/bin/listed'), join(root, 'usr/bin/listed-too'));
  symlinkSync('listed', join(root, 'usr/bin/listed-link'));
  writeFileSync(join(root, 'usr/share/doc/listed/read me.txt'), 'text\n');
  execFileSync('chmod', ['-R', 'go-w', root]);
  for (const z of ['gzip', 'xz', 'zstd', 'none']) {
    const deb = join(dir, `listed-${z}.deb`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', `-Z${z}`, root, deb], { env: { ...process.env, SOURCE_DATE_EPOCH: '0' }, stdio: 'ignore' });
    built.set(z, deb);
  }
  // dpkg-deb reads but no longer builds data.tar.bz2: repack the uncompressed one.
  const parts = join(dir, 'parts');
  mkdirSync(parts);
  execFileSync('ar', ['x', built.get('none') as string], { cwd: parts });
  execFileSync('bzip2', [join(parts, 'data.tar')]);
  const bz2 = join(dir, 'listed-bzip2.deb');
  writeFileSync(
    bz2,
    makeAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar', data: readFileSync(join(parts, 'control.tar')) },
      { name: 'data.tar.bz2', data: readFileSync(join(parts, 'data.tar.bz2')) },
    ]),
  );
  built.set('bzip2', bz2);
});

describe('readDebFileList', () => {
  for (const z of ['gzip', 'xz', 'zstd', 'bzip2', 'none']) {
    test(`lists what dpkg-deb -c lists, without directories (data.tar ${z})`, async () => {
      const deb = built.get(z) as string;
      const paths = await readDebFileList(createReadStream(deb), { source: deb });
      assert.deepEqual(paths, dpkgList(deb));
      assert.deepEqual([...paths].sort(), ['usr/bin/listed', 'usr/bin/listed-link', 'usr/bin/listed-too', 'usr/share/doc/listed/read me.txt']);
    });
  }

  test('a .deb without a data member is DEBSTASH_E_DEB_INVALID', async () => {
    const deb = makeAr([{ name: 'debian-binary', data: '2.0\n' }]);
    await assert.rejects(readDebFileList(Readable.from([deb]), { source: 'x.deb' }), isCode('DEBSTASH_E_DEB_INVALID'));
  });

  test('an unknown data compression is DEBSTASH_E_COMPRESSION_UNSUPPORTED', async () => {
    const deb = makeAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'data.tar.lzma', data: 'x' },
    ]);
    await assert.rejects(readDebFileList(Readable.from([deb]), { source: 'x.deb' }), isCode('DEBSTASH_E_COMPRESSION_UNSUPPORTED'));
  });
});
