/**
 * Property tests for the readers an upstream feeds us bytes through before any signature or
 * hash can vouch for them: tar and ar (the .deb containers) and the clearsigned InRelease.
 * Each: any input gives an answer or a coded DebstashError, never another exception, and
 * what is answered keeps the reader's promises (tar never yields an unsafe path). The seed is
 * fixed; FUZZ_SEED explores, FUZZ_RUNS runs more cases.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';

import { readAr } from '../../src/deb/ar-reader.js';
import { splitClearsigned, splitDetachedSignatures } from '../../src/deb/clearsigned.js';
import { readTar } from '../../src/deb/tar-reader.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { mutate, mutation } from '../helpers/byte-mutation.js';
import { fuzzParams } from '../helpers/fuzz-params.js';
import { makeTar } from '../helpers/make-tar.js';

const params = (share: number): fc.Parameters<unknown> => fuzzParams(20261207, share);

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

function codedOnly(error: unknown, codes: RegExp): void {
  if (!(error instanceof DebstashError)) throw error;
  assert.match(error.code, codes);
}

/** Reads every entry and its body; returns the names, or undefined after a coded error. */
async function tarNames(data: Uint8Array, chunkSize: number): Promise<string[] | undefined> {
  const names: string[] = [];
  try {
    for await (const entry of readTar(chunks(data, chunkSize), { source: 'fuzz.tar' })) {
      for await (const part of entry.body) assert.ok(part.length >= 0);
      names.push(entry.name);
      // Symlink targets may climb ("../lib/x"); hardlinks name archive members, which must not.
      if (entry.type === 'hardlink') names.push(entry.linkName);
    }
    return names;
  } catch (error) {
    codedOnly(error, /^DEBSTASH_E_DEB_/);
    return undefined;
  }
}

function isSafe(name: string): boolean {
  return !name.startsWith('/') && !name.split('/').includes('..');
}

const dir = mkdtempSync(join(tmpdir(), 'debstash-container-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Archives written by GNU tar and ar, so the mutations start from what real tools write. */
const tars: Buffer[] = [];
const ars: Buffer[] = [];
before(() => {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'usr/share/doc', 'x'.repeat(120)), { recursive: true });
  writeFileSync(join(root, 'usr/share/doc/README'), 'read me\n'.repeat(40));
  writeFileSync(join(root, 'usr/share/doc', 'x'.repeat(120), 'long'), 'long name\n');
  symlinkSync('README', join(root, 'usr/share/doc/link'));
  for (const format of ['gnu', 'pax', 'ustar', 'v7']) {
    try {
      tars.push(execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', root, '-cf', '-', '.'], { stdio: ['ignore', 'pipe', 'ignore'] }));
    } catch {
      // ustar and v7 refuse the 120-character directory: the other formats cover long names.
    }
  }
  tars.push(makeTar([{ name: 'usr/' }, { name: 'usr/evil', typeflag: '1', linkName: '../../etc/passwd' }, { name: '../x', data: 'x' }]));
  for (const [i, members] of [['a', 'b'], ['debian-binary', 'control.tar.gz', 'a-name-longer-than-sixteen-bytes']].entries()) {
    const arDir = join(dir, `ar${i}`);
    mkdirSync(arDir);
    for (const m of members) writeFileSync(join(arDir, m), `${m}\n`.repeat(3));
    execFileSync('ar', ['rc', join(arDir, 'out.a'), ...members], { cwd: arDir });
    ars.push(readFileSync(join(arDir, 'out.a')));
  }
});

describe('tar reader fuzzing', { timeout: 120_000 }, () => {
  test('mutated GNU tar archives: entries with safe paths, or DEBSTASH_E_DEB_*', async () => {
    assert.ok(tars.length >= 3, 'GNU tar wrote fewer archives than expected');
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 2048 }), async (which, edits, size) => {
        const names = await tarNames(mutate(tars[which % tars.length], edits), size);
        for (const name of names ?? []) assert.ok(isSafe(name), name);
      }),
      params(1),
    );
  });

  test('random headers behind valid ones', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 512, maxLength: 1536 }), async (junk) => {
        await tarNames(Buffer.concat([tars[0].subarray(0, 512), junk]), 700);
      }),
      params(0.1),
    );
  });
});

describe('ar reader fuzzing', { timeout: 120_000 }, () => {
  test('mutated ar archives: members, or DEBSTASH_E_DEB_*', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 256 }), async (which, edits, size) => {
        try {
          for await (const member of readAr(chunks(mutate(ars[which % ars.length], edits), size), { source: 'fuzz.a' })) {
            let length = 0;
            for await (const part of member.body) length += part.length;
            assert.equal(length, member.size);
          }
        } catch (error) {
          codedOnly(error, /^DEBSTASH_E_DEB_/);
        }
      }),
      params(1),
    );
  });
});

const SIGNATURE = ['-----BEGIN PGP SIGNATURE-----', '', 'iHUEARYKAB0WIQQAAAAAAAAAAAAAAAAAAAAAAAAAAAUCZAAAAAAACgkQAAAAAAAA', '=AAAA', '-----END PGP SIGNATURE-----'];
const LINE_CHARS = [...'Ab: 1-\t \r', '\u00e9', '-----BEGIN PGP SIGNATURE-----', '-----END PGP SIGNATURE-----', '- ', 'Hash: SHA256'];
const line = fc.string({ unit: fc.constantFrom(...LINE_CHARS), maxLength: 6 });

/** A well-formed message: body lines dash-escaped where they start with a dash. */
const wellFormed = fc.array(line, { maxLength: 8 }).map((body) => ({
  body: body.map((l) => l.replace(/[\r\n]/g, '')),
  text: ['-----BEGIN PGP SIGNED MESSAGE-----', 'Hash: SHA256', '', ...body.map((l) => l.replace(/[\r\n]/g, '')).map((l) => (l.startsWith('-') ? `- ${l}` : l)), ...SIGNATURE].join('\n') + '\n',
}));

describe('clearsigned fuzzing', { timeout: 120_000 }, () => {
  test('any text or bytes: split, or DEBSTASH_E_SIGNATURE_INVALID', () => {
    const input = fc.oneof(
      fc.array(line, { maxLength: 12 }).map((ls) => ls.join('\n')),
      wellFormed.chain((m) => fc.array(mutation, { minLength: 1, maxLength: 3 }).map((edits) => mutate(Buffer.from(m.text), edits))),
      fc.uint8Array({ maxLength: 300 }),
    );
    fc.assert(
      fc.property(input, (data) => {
        for (const split of [splitClearsigned, splitDetachedSignatures]) {
          try {
            split(data, 'fuzz');
          } catch (error) {
            codedOnly(error, /^DEBSTASH_E_SIGNATURE_INVALID$/);
          }
        }
      }),
      params(1),
    );
  });

  test('a well-formed message gives back its body: trailing blanks gone, dashes unescaped', () => {
    fc.assert(
      fc.property(wellFormed, (m) => {
        const parts = splitClearsigned(m.text, 'fuzz');
        const want = m.body.map((l) => l.replace(/[ \t]+$/, '')).join('\n');
        assert.equal(Buffer.from(parts.signed).toString('utf8'), want);
        assert.equal(parts.signatures.length, 1);
      }),
      params(0.2),
    );
  });
});
