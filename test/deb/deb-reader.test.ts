import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readDeb } from '../../src/deb/deb-reader.js';
import { buildDeb, type DebSpec } from '../helpers/build-deb.js';
import { isCode } from '../helpers/coded-error.js';
import { tool } from '../helpers/codec-tools.js';
import { makeAr } from '../helpers/make-ar.js';
import { makeTar } from '../helpers/make-tar.js';

const dir = mkdtempSync(join(tmpdir(), 'debstash-deb-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const spec: DebSpec = {
  name: 'hello-deb',
  version: '2:1.2.3-4',
  architecture: 'amd64',
  depends: 'libc6 (>= 2.34), libfoo1 | libbar2',
  provides: 'hello-virtual (= 1.2)',
  extraFields: {
    'Multi-Arch': 'foreign',
    Section: 'utils',
    Priority: 'optional',
    Description: 'says hello\n A longer description\n .\n with a paragraph break.',
  },
  files: { 'usr/bin/hello-deb': '#!/bin/sh\necho hello\n', 'usr/share/doc/hello-deb/README': 'read me\n' },
};

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** The parts of a real .deb, to assemble broken ones from. */
let controlTarGz: Buffer;
let dataTarGz: Buffer;
let gzipDeb: Buffer;

before(async () => {
  const path = await buildDeb(join(dir, 'parts'), spec, { compression: 'gzip' });
  gzipDeb = readFileSync(path);
  controlTarGz = execFileSync('dpkg-deb', ['--ctrl-tarfile', path]);
  controlTarGz = gzipSync(controlTarGz);
  dataTarGz = gzipSync(execFileSync('dpkg-deb', ['--fsys-tarfile', path]));
});

function deb(members: Parameters<typeof makeAr>[0]): Buffer {
  return makeAr(members);
}

describe('readDeb on packages built by dpkg-deb', () => {
  for (const compression of ['gzip', 'xz', 'zstd', 'none'] as const) {
    test(`-Z${compression}`, async () => {
      const path = await buildDeb(join(dir, compression), spec, { compression });
      const bytes = readFileSync(path);
      const info = await readDeb(createReadStream(path), { source: path });
      assert.equal(info.control, execFileSync('dpkg-deb', ['--info', path, 'control']).toString());
      assert.equal(info.size, bytes.length);
      for (const algorithm of ['md5', 'sha1', 'sha256', 'sha512'] as const) {
        assert.equal(info[algorithm], createHash(algorithm).update(bytes).digest('hex'), algorithm);
      }
      assert.equal(info.sha256, tool('sha256sum', [], bytes).toString().split(' ')[0]);
      assert.equal(info.controlCompression, compression);
      assert.equal(info.dataCompression, compression);

      // Any chunking of the input gives the same result.
      for (const size of [1, 61, 4096]) assert.deepEqual(await readDeb(chunks(bytes, size)), info);
    });
  }

  test('data.tar.bz2, "_" members and GNU-style names, which dpkg-deb also accepts', async () => {
    const bz2Data = tool('bzip2', ['-c'], execFileSync('gzip', ['-dc'], { input: dataTarGz }));
    const bytes = deb([
      { name: 'debian-binary', data: '2.0\n', nameStyle: 'gnu' },
      { name: '_extension', data: 'ignored' },
      { name: 'control.tar.gz', data: controlTarGz, nameStyle: 'gnu' },
      { name: 'data.tar.bz2', data: bz2Data, nameStyle: 'gnu' },
      { name: '_trailer', data: 'ignored too' },
    ]);
    const path = join(dir, 'bz2.deb');
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', path], { input: bytes });
    execFileSync('dpkg-deb', ['--info', path]);
    const info = await readDeb(chunks(bytes, 100));
    assert.equal(info.dataCompression, 'bzip2');
    assert.match(info.control, /^Package: hello-deb\n/);
  });

  test('streams: a package with a 50 MB data member is read with little memory', async (t) => {
    const path = await buildDeb(join(dir, 'big'), { ...spec, name: 'big', files: { 'usr/share/big/blob': { randomBytes: 50_000_000 } } }, { compression: 'none' });
    // In a fresh process, so that what building the package allocated does not hide the growth.
    const script = `
      import { createReadStream } from 'node:fs';
      import { readDeb } from ${JSON.stringify(new URL('../../src/deb/deb-reader.js', import.meta.url).href)};
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 2);
      const info = await readDeb(createReadStream(process.argv[1], { highWaterMark: 1 << 16 }));
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      console.log(JSON.stringify({ size: info.size, growth: peak - baseline }));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script, path]).toString();
    const { size, growth } = JSON.parse(output) as { size: number; growth: number };
    t.diagnostic(`RSS grew by ${(growth / 1048576).toFixed(1)} MiB reading a ${size}-byte package`);
    assert.ok(size > 50_000_000);
    // Holding the data member would cost at least its 50 MB; streaming costs only the read
    // chunks the garbage collector has not reclaimed yet (about 30 MiB here, and about 37 MiB
    // for a 200 MB member: it does not grow with the package).
    assert.ok(growth < 45 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
  });
});

describe('readDeb on broken packages', () => {
  // A cut exactly between members leaves a well-formed ar archive that lacks members: that is
  // DEBSTASH_E_DEB_INVALID ("no data member"), tested below.
  test('truncated anywhere is DEBSTASH_E_DEB_TRUNCATED', async () => {
    const headerEnd = 8 + 60;
    const controlStart = headerEnd + 4 + 60;
    for (const cut of [0, 3, 30, headerEnd + 2, controlStart + 10, controlStart + 200, gzipDeb.length - 300, gzipDeb.length - 1]) {
      await assert.rejects(readDeb(chunks(gzipDeb.subarray(0, cut), 512)), isCode('DEBSTASH_E_DEB_TRUNCATED'), `cut at ${cut}`);
    }
  });

  test('an odd-sized last member without its padding byte is truncated', async () => {
    const odd = Buffer.concat([dataTarGz, Buffer.from(dataTarGz.length % 2 === 0 ? 'x' : '')]);
    const bytes = deb([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar.gz', data: controlTarGz },
      { name: 'data.tar.gz', data: odd },
    ]);
    await assert.rejects(readDeb(chunks(bytes.subarray(0, bytes.length - 1), 512)), isCode('DEBSTASH_E_DEB_TRUNCATED', /padding/));
  });

  test('not an ar archive is DEBSTASH_E_DEB_INVALID', async () => {
    await assert.rejects(readDeb(chunks(Buffer.from('<!DOCTYPE html><html>not found</html>'), 512)), isCode('DEBSTASH_E_DEB_INVALID'));
    const badMagic = Buffer.from(gzipDeb);
    badMagic[1] = 0x3f;
    await assert.rejects(readDeb(chunks(badMagic, 512)), isCode('DEBSTASH_E_DEB_INVALID', /ar archive/));
  });

  test('members out of order or missing are DEBSTASH_E_DEB_INVALID', async () => {
    const binary = { name: 'debian-binary', data: '2.0\n' };
    const control = { name: 'control.tar.gz', data: controlTarGz };
    const data = { name: 'data.tar.gz', data: dataTarGz };
    const cases: [string, Parameters<typeof makeAr>[0], RegExp][] = [
      ['data first', [data, binary, control], /first member is "data\.tar\.gz"/],
      ['data before control', [binary, data, control], /before the control member/],
      ['no control', [binary, data], /before the control member/],
      ['no data', [binary, control], /no data member/],
      ['empty archive', [], /empty/],
      ['format 3.0', [{ name: 'debian-binary', data: '3.0\n' }, control, data], /format "3\.0"/],
      ['two controls', [binary, control, control, data], /second control/],
      ['unknown member', [binary, control, { name: 'payload', data: 'x' }, data], /unexpected member "payload"/],
      ['extra member after data', [binary, control, data, { name: 'more', data: 'x' }], /unexpected member "more"/],
    ];
    for (const [label, members, message] of cases) {
      await assert.rejects(readDeb(chunks(deb(members), 512)), isCode('DEBSTASH_E_DEB_INVALID', message), label);
    }
  });

  test('compressions dpkg does not allow for the member are DEBSTASH_E_COMPRESSION_UNSUPPORTED', async () => {
    const binary = { name: 'debian-binary', data: '2.0\n' };
    const control = { name: 'control.tar.gz', data: controlTarGz };
    for (const members of [
      [binary, { name: 'control.tar.bz2', data: 'x' }, { name: 'data.tar.gz', data: dataTarGz }],
      [binary, control, { name: 'data.tar.lzma', data: 'x' }],
    ]) {
      await assert.rejects(readDeb(chunks(deb(members), 512)), isCode('DEBSTASH_E_COMPRESSION_UNSUPPORTED'));
    }
  });

  test('a control.tar with "../" or absolute names is DEBSTASH_E_DEB_UNSAFE_PATH', async () => {
    const evil = [
      makeTar([{ name: './', typeflag: '5' }, { name: './control', data: 'Package: evil\n' }, { name: '../evil', data: 'x' }]),
      makeTar([{ name: './control', data: 'Package: evil\n' }, { name: '/etc/cron.d/evil', data: 'x' }]),
    ];
    for (const tar of evil) {
      for (const [name, data] of [
        ['control.tar', tar],
        ['control.tar.gz', gzipSync(tar)],
        ['control.tar.xz', tool('xz', ['-c'], tar)],
      ] as const) {
        const bytes = deb([{ name: 'debian-binary', data: '2.0\n' }, { name, data }, { name: 'data.tar.gz', data: dataTarGz }]);
        await assert.rejects(readDeb(chunks(bytes, 512)), isCode('DEBSTASH_E_DEB_UNSAFE_PATH', /control\.tar/), name);
      }
    }
  });

  test('a control file over maxControlBytes is DEBSTASH_E_DEB_INVALID', async () => {
    const hugeDescription = `huge\n${' x'.repeat(1024 * 1024)}`;
    const path = await buildDeb(join(dir, 'huge'), { ...spec, name: 'huge', extraFields: { Description: hugeDescription } }, { compression: 'xz' });
    await assert.rejects(readDeb(createReadStream(path), { maxControlBytes: 1024 * 1024 }), isCode('DEBSTASH_E_DEB_INVALID', /limit of 1048576/));
    const info = await readDeb(createReadStream(path));
    assert.ok(info.control.length > 2 * 1024 * 1024);
  });

  test('a control.tar that expands past maxControlArchiveBytes is DEBSTASH_E_DEB_INVALID', async () => {
    const tar = makeTar([{ name: './control', data: 'Package: x\n' }, { name: './md5sums', data: Buffer.alloc(8 * 1024 * 1024) }]);
    const bytes = deb([{ name: 'debian-binary', data: '2.0\n' }, { name: 'control.tar.gz', data: gzipSync(tar) }, { name: 'data.tar', data: '' }]);
    await assert.rejects(readDeb(chunks(bytes, 4096), { maxControlArchiveBytes: 1024 * 1024 }), isCode('DEBSTASH_E_DEB_INVALID', /more than 1048576 bytes/));
  });

  test('control.tar problems: no ./control, corrupt compression, not UTF-8', async () => {
    const wrap = (name: string, data: Uint8Array): Buffer =>
      deb([{ name: 'debian-binary', data: '2.0\n' }, { name, data }, { name: 'data.tar.gz', data: dataTarGz }]);
    await assert.rejects(readDeb(chunks(wrap('control.tar', makeTar([{ name: './md5sums', data: '' }])), 512)), isCode('DEBSTASH_E_DEB_INVALID', /no \.\/control/));
    const corrupt = Buffer.from(controlTarGz);
    corrupt.fill(0x55, 20, 60);
    await assert.rejects(readDeb(chunks(wrap('control.tar.gz', corrupt), 512)), isCode('DEBSTASH_E_COMPRESSION_CORRUPT', /control\.tar\.gz/));
    const latin1 = makeTar([{ name: './control', data: Buffer.from('Package: x\nMaintainer: Jos\xe9\n', 'latin1') }]);
    await assert.rejects(readDeb(chunks(wrap('control.tar', latin1), 512)), isCode('DEBSTASH_E_ENCODING'));
    const symlink = makeTar([{ name: './control', typeflag: '2', linkName: '/etc/passwd' }]);
    await assert.rejects(readDeb(chunks(wrap('control.tar', symlink), 512)), isCode('DEBSTASH_E_DEB_INVALID', /symlink/));
  });

  test('a truncated .deb whose control member is cut is "truncated", not "corrupt gzip"', async () => {
    const controlStart = 8 + 60 + 4 + 60;
    await assert.rejects(readDeb(chunks(gzipDeb.subarray(0, controlStart + 40), 7)), isCode('DEBSTASH_E_DEB_TRUNCATED'));
  });
});
