import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readAr } from '../../src/deb/ar-reader.js';
import { isCode } from '../helpers/coded-error.js';
import { makeAr } from '../helpers/make-ar.js';
import { pseudoRandomBytes } from '../helpers/sample-data.js';

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Every member as [name, data], read through readAr with input in `size`-byte pieces. */
async function members(data: Uint8Array, size = 65536): Promise<[string, Buffer][]> {
  const out: [string, Buffer][] = [];
  for await (const member of readAr(chunks(data, size), { source: 'test.a' })) {
    const parts: Uint8Array[] = [];
    for await (const part of member.body) parts.push(part);
    const body = Buffer.concat(parts);
    assert.equal(body.length, member.size);
    out.push([member.name, body]);
  }
  return out;
}

describe('readAr', () => {
  test('reads what GNU ar writes, long names included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'debstash-ar-'));
    try {
      const files: Record<string, Buffer> = {
        'debian-binary': Buffer.from('2.0\n'),
        odd: Buffer.from('odd'),
        'a-name-longer-than-sixteen-bytes.txt': pseudoRandomBytes(1001, 1),
        'another-very-long-member-name': Buffer.alloc(0),
      };
      for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
      execFileSync('ar', ['rcD', join(dir, 'out.a'), ...Object.keys(files)], { cwd: dir });
      const archive = readFileSync(join(dir, 'out.a'));
      for (const size of [65536, 1, 7]) {
        const got = await members(archive, size);
        assert.deepEqual(got.map(([name]) => name), Object.keys(files));
        for (const [name, data] of got) assert.ok(data.equals(files[name]), name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('dpkg-style, GNU-style and BSD long names, odd sizes padded', async () => {
    const archive = makeAr([
      { name: 'debian-binary', data: '2.0\n' },
      { name: 'control.tar.gz', data: 'abc', nameStyle: 'gnu' },
      { name: 'a-bsd-style-long-name', data: 'hello', nameStyle: 'bsd' },
      { name: 'empty', data: '' },
    ]);
    assert.deepEqual(
      (await members(archive, 3)).map(([name, data]) => [name, data.toString()]),
      [
        ['debian-binary', '2.0\n'],
        ['control.tar.gz', 'abc'],
        ['a-bsd-style-long-name', 'hello'],
        ['empty', ''],
      ],
    );
  });

  test('bodies not read are skipped; a body cannot be read twice', async () => {
    const archive = makeAr([
      { name: 'big', data: pseudoRandomBytes(100_001, 2) },
      { name: 'small', data: 'x' },
    ]);
    const names: string[] = [];
    for await (const member of readAr(chunks(archive, 4096))) {
      names.push(member.name);
      if (member.name === 'small') {
        const parts: Uint8Array[] = [];
        for await (const part of member.body) parts.push(part);
        assert.equal(Buffer.concat(parts).toString(), 'x');
        assert.throws(() => member.body[Symbol.asyncIterator]());
      }
    }
    assert.deepEqual(names, ['big', 'small']);
  });

  test('an archive with no members is fine', async () => {
    assert.deepEqual(await members(Buffer.from('!<arch>\n')), []);
  });
});

describe('readAr on bad input', () => {
  const good = makeAr([
    { name: 'debian-binary', data: '2.0\n' },
    { name: 'member', data: 'odd-sized' },
  ]);

  test('wrong signature is DEBSTASH_E_DEB_INVALID', async () => {
    await assert.rejects(members(Buffer.from('!<arch>X')), isCode('DEBSTASH_E_DEB_INVALID', /not an ar archive/));
    await assert.rejects(members(Buffer.from('PK\x03\x04 a zip file')), isCode('DEBSTASH_E_DEB_INVALID'));
  });

  test('truncated anywhere is DEBSTASH_E_DEB_TRUNCATED, saying where', async () => {
    const cases: [number, RegExp][] = [
      [0, /signature/],
      [5, /signature/],
      [8 + 30, /header/],
      [8 + 59, /header/],
      [8 + 60 + 2, /member "debian-binary"/],
      [good.length - 5, /member "member"/],
      [good.length - 1, /padding/],
    ];
    for (const [cut, where] of cases) {
      await assert.rejects(members(good.subarray(0, cut)), isCode('DEBSTASH_E_DEB_TRUNCATED', where), `cut at ${cut}`);
    }
  });

  test('malformed headers are DEBSTASH_E_DEB_INVALID', async () => {
    const badEnd = Buffer.from(good);
    badEnd[8 + 58] = 0x41;
    await assert.rejects(members(badEnd), isCode('DEBSTASH_E_DEB_INVALID', /`\\n/));
    const badSize = Buffer.from(good);
    badSize.write('12x4      ', 8 + 48, 'latin1');
    await assert.rejects(members(badSize), isCode('DEBSTASH_E_DEB_INVALID', /size/));
    const unknownLongName = makeAr([{ name: '/42', data: 'x' }]);
    await assert.rejects(members(unknownLongName), isCode('DEBSTASH_E_DEB_INVALID', /long name/));
  });
});
