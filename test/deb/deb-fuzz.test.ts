import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz-params.js';
import { mutate, mutation } from '../helpers/byte-mutation.js';
import type { Compression } from '../../src/deb/compression/compression.js';
import { readDeb } from '../../src/deb/deb-reader.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { buildDeb } from '../helpers/build-deb.js';
import { decode, tool } from '../helpers/codec-tools.js';
import { packagesText } from '../helpers/sample-data.js';

// Each property: any input either parses or fails with a DebstashError; nothing else escapes,
// nothing hangs (the test timeouts catch that).

const params = (share: number): fc.Parameters<unknown> => fuzzParams(20261206, share);

const dir = mkdtempSync(join(tmpdir(), 'debstash-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const debs: Buffer[] = [];
before(async () => {
  for (const compression of ['gzip', 'xz', 'zstd', 'none'] as const) {
    const path = await buildDeb(
      join(dir, compression),
      {
        name: `fuzz-${compression}`,
        version: '1.0-1',
        architecture: 'amd64',
        depends: 'libc6',
        files: { 'usr/share/doc/fuzz/README': 'fuzz\n'.repeat(50) },
      },
      { compression },
    );
    debs.push(readFileSync(path));
  }
});

async function* chunks(data: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function parsesOrDebstashError(data: Uint8Array, chunkSize: number): Promise<void> {
  try {
    await readDeb(chunks(data, chunkSize), { source: 'fuzz.deb' });
  } catch (error) {
    if (!(error instanceof DebstashError)) throw error;
  }
}

describe('readDeb fuzzing', { timeout: 60_000 }, () => {
  test('mutated and truncated real packages', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 3 }),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 32, max: 4096 }),
        async (which, mutations, chunkSize) => parsesOrDebstashError(mutate(debs[which], mutations), chunkSize),
      ),
      params(1),
    );
  });

  test('mutations confined to the ar headers and the control member', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: 3 }),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 400 }), value: fc.integer({ min: 0, max: 255 }) }),
          { minLength: 1, maxLength: 3 },
        ),
        async (which, sets) => {
          const data = Buffer.from(debs[which]);
          for (const { at, value } of sets) if (at < data.length) data[at] = value;
          await parsesOrDebstashError(data, 64);
        },
      ),
      params(0.05),
    );
  });

  test('random bytes, bare and behind an ar signature', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), fc.boolean(), async (bytes, signed) => {
        const data = signed ? Buffer.concat([Buffer.from('!<arch>\n'), bytes]) : bytes;
        await parsesOrDebstashError(data, 512);
      }),
      params(0.05),
    );
  });
});

describe('decoder fuzzing', { timeout: 60_000 }, () => {
  const text = Buffer.from(packagesText(8 * 1024, 31));
  const encoded: [Compression, Buffer][] = [
    ['bzip2', tool('bzip2', ['-c'], text)],
    ['gzip', tool('gzip', ['-c', '-n'], text)],
    ['xz', tool('xz', ['-c'], text)],
    ['zstd', tool('zstd', ['-c', '-q'], text)],
  ];

  test('mutated compressed data decodes or fails with DEBSTASH_E_COMPRESSION_*', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: encoded.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (which, mutations) => {
        const [compression, data] = encoded[which];
        try {
          await decode(compression, mutate(data, mutations), 1000);
        } catch (error) {
          assert.ok(error instanceof DebstashError, `not a DebstashError: ${String(error)}`);
          assert.match(error.code, /^DEBSTASH_E_COMPRESSION_/);
        }
      }),
      params(0.06),
    );
  });

  test('bzip2: a damaged stream never decodes to wrong data silently', async () => {
    const [, data] = encoded[0];
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const damaged = mutate(data, mutations);
        let output: Buffer;
        try {
          output = await decode('bzip2', damaged, 777);
        } catch {
          return;
        }
        // Decoding succeeded: the CRCs held, so this must be the original text (for instance
        // a flip in the padding bits after the end-of-stream marker).
        assert.ok(output.equals(text));
      }),
      params(0.04),
    );
  });
});
