import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readTar, type TarEntryType } from '../../src/deb/tar-reader.js';
import { isCode } from '../helpers/coded-error.js';
import { makeTar } from '../helpers/make-tar.js';
import { pseudoRandomBytes } from '../helpers/sample-data.js';

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

interface Seen {
  name: string;
  type: TarEntryType;
  linkName: string;
  data: string;
}

async function entries(data: Uint8Array, size = 65536): Promise<Seen[]> {
  const out: Seen[] = [];
  for await (const entry of readTar(chunks(data, size), { source: 'test.tar' })) {
    const parts: Uint8Array[] = [];
    for await (const part of entry.body) parts.push(part);
    out.push({ name: entry.name, type: entry.type, linkName: entry.linkName, data: Buffer.concat(parts).toString('latin1') });
  }
  return out;
}

describe('readTar reads what GNU tar writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'debstash-tar-'));
  const root = join(dir, 'root');
  const longDir = `${'d'.repeat(90)}/${'e'.repeat(60)}`;
  mkdirSync(join(root, longDir), { recursive: true });
  const big = pseudoRandomBytes(70_001, 4).toString('latin1');
  writeFileSync(join(root, 'control'), 'Package: foo\n');
  writeFileSync(join(root, 'big'), Buffer.from(big, 'latin1'));
  writeFileSync(join(root, longDir, `${'f'.repeat(40)}.txt`), 'deep');
  writeFileSync(join(root, 'ünïcode'), 'u');
  symlinkSync('control', join(root, 'link'));
  linkSync(join(root, 'control'), join(root, 'hard'));

  for (const format of ['gnu', 'pax', 'ustar']) {
    test(`--format=${format}`, async () => {
      const archive = execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', root, '-cf', '-', '.']);
      const got = await entries(archive, format === 'gnu' ? 1 : 4096);
      const byName = new Map(got.map((entry) => [entry.name, entry]));
      assert.equal(byName.get('')?.type, 'directory');
      assert.equal(byName.get('control')?.data, 'Package: foo\n');
      assert.equal(byName.get('big')?.data, big);
      assert.equal(byName.get(`${longDir}/${'f'.repeat(40)}.txt`)?.data, 'deep');
      assert.equal(byName.get('ünïcode')?.data, 'u');
      assert.deepEqual([byName.get('link')?.type, byName.get('link')?.linkName], ['symlink', 'control']);
      const hard = byName.get('hard') ?? byName.get('control');
      assert.ok(got.some((entry) => entry.type === 'hardlink'), 'a hardlink entry');
      assert.ok(hard);
    });
  }

  test.after(() => rmSync(dir, { recursive: true, force: true }));
});

describe('readTar refuses unsafe paths', () => {
  const cases: [string, Parameters<typeof makeTar>[0]][] = [
    ['../evil', [{ name: '../evil', data: 'x' }]],
    ['./a/../../evil', [{ name: './control', data: 'ok' }, { name: './a/../../evil', data: 'x' }]],
    ['absolute', [{ name: '/etc/passwd', data: 'x' }]],
    ['GNU long name', [{ name: `./${'a/'.repeat(60)}${'../'.repeat(61)}evil`, data: 'x' }]],
    ['pax path', [{ name: 'innocent', data: 'x', pax: { path: '../../evil' } }]],
    ['hardlink target', [{ name: 'ok', typeflag: '1', linkName: '../../etc/shadow' }]],
  ];
  for (const [label, members] of cases) {
    test(label, async () => {
      await assert.rejects(entries(makeTar(members)), isCode('DEBSTASH_E_DEB_UNSAFE_PATH', /test\.tar/));
    });
  }

  test('the entry is refused before it is returned', async () => {
    const names: string[] = [];
    await assert.rejects(async () => {
      for await (const entry of readTar(chunks(makeTar([{ name: 'a', data: '1' }, { name: '../b', data: '2' }]), 512))) names.push(entry.name);
    }, isCode('DEBSTASH_E_DEB_UNSAFE_PATH'));
    assert.deepEqual(names, ['a']);
  });

  test('"..." and "a..b" are ordinary names', async () => {
    const got = await entries(makeTar([{ name: './...', data: '1' }, { name: 'a..b', data: '2' }]));
    assert.deepEqual(got.map((entry) => entry.name), ['...', 'a..b']);
  });
});

describe('readTar on malformed archives', () => {
  const good = makeTar([
    { name: './control', data: 'Package: foo\n' },
    { name: './md5sums', data: 'x'.repeat(1000) },
  ]);

  test('a bad header checksum is DEBSTASH_E_DEB_INVALID', async () => {
    const bad = Buffer.from(good);
    bad[3] ^= 1;
    await assert.rejects(entries(bad), isCode('DEBSTASH_E_DEB_INVALID', /checksum/));
  });

  test('an archive that ends inside a member or header is DEBSTASH_E_DEB_INVALID', async () => {
    await assert.rejects(entries(good.subarray(0, 512 + 100)), isCode('DEBSTASH_E_DEB_INVALID', /ends/));
    await assert.rejects(entries(good.subarray(0, 1024 + 200)), isCode('DEBSTASH_E_DEB_INVALID', /ends/));
  });

  test('no end-of-archive blocks is accepted, as GNU tar does', async () => {
    const got = await entries(makeTar([{ name: 'a', data: 'x' }], { end: false }));
    assert.deepEqual(got.map((entry) => entry.data), ['x']);
  });

  test('a malformed pax header is DEBSTASH_E_DEB_INVALID', async () => {
    const archive = makeTar([{ name: 'a', data: 'x', pax: { path: 'b' } }]);
    archive.write('99', 512, 'latin1');
    await assert.rejects(entries(archive), isCode('DEBSTASH_E_DEB_INVALID', /pax/));
  });
});
