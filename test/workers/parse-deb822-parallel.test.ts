import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerPool } from '../../src/concurrency/worker-pool.js';
import { parseDeb822Stream } from '../../src/deb/deb822-parse.js';
import type { Paragraph } from '../../src/deb/paragraph.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { parseDeb822Parallel } from '../../src/workers/parse-deb822-parallel.js';

const script = new URL('../../src/workers/job-worker.js', import.meta.url);

/** Packages-like text with what the parser treats specially: BOM, CRLF, non-ASCII, long and odd values, reordered fields. */
const FIXTURE = [
  '\ufeffPackage: zlib1g\nVersion: 1:1.2.13.dfsg-1\nArchitecture: amd64\nMaintainer: Mark Brown <broonie@debian.org>\nDepends: libc6 (>= 2.14)\nDescription: compression library - runtime\n zlib is a library implementing the deflate compression method.\n .\n This package includes the shared library.\nSHA256: 1f0c4f0c\n',
  'Package: naïve-tool\r\nVersion: 2.0\r\nArchitecture: all\r\nMaintainer: Jörg Müller <jm@example.org>   \r\nDescription: ünïcödé ✓ — 😀\r\n trailing blanks   \r\n',
  'Version: 3\nPackage: reordered\nX-Custom: a\n b\n\n\n',
  'Package: empty-value\nVersion: 1\nHomepage:\nDescription:\n only continuation\n',
].join('\n');

function synthetic(paragraphs: number): string {
  const out: string[] = [];
  for (let i = 0; i < paragraphs; i++) {
    const desc = i % 7 === 0 ? `Ünïcode summary ${i}` : `summary ${i}`;
    const provides = i % 5 === 0 ? `Provides: virt-${i % 50}, other (= ${i})\n` : '';
    const long = i % 13 === 0 ? `\n ${'x'.repeat(3000 + (i % 5000))}` : '';
    out.push(
      `Package: pkg-${i}\nVersion: ${i % 97}.${i}-1\nArchitecture: ${i % 3 === 0 ? 'all' : 'amd64'}\n${provides}` +
        `Depends: libc6 (>= 2.${i % 40}), libfoo${i % 11} | libbar\nDescription: ${desc}\n more text for ${i}.\n .${long}\n` +
        `SHA256: ${i.toString(16).padStart(64, '0')}\n`,
    );
  }
  return out.join('\n');
}

/** The text cut into chunks of varied sizes, as a decompressor hands them out. */
async function* chunks(text: string, ...sizes: number[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = sizes[i % sizes.length];
    yield new Uint8Array(bytes.subarray(at, at + n));
    at += n;
  }
}

async function collect(paragraphs: AsyncIterable<Paragraph>): Promise<{ out: Paragraph[]; error?: unknown }> {
  const out: Paragraph[] = [];
  try {
    for await (const p of paragraphs) out.push(p);
    return { out };
  } catch (error) {
    return { out, error };
  }
}

function assertSameParagraphs(actual: readonly Paragraph[], expected: readonly Paragraph[]): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.deepEqual([...actual[i]], [...expected[i]], `paragraph ${i}`);
    assert.equal(actual[i].line, expected[i].line, `line of paragraph ${i}`);
    assert.deepEqual(actual[i].names, expected[i].names);
  }
}

async function withPool<T>(fn: (pool: WorkerPool) => Promise<T>): Promise<T> {
  const pool = new WorkerPool(script, 1);
  try {
    return await fn(pool);
  } finally {
    await pool.close();
  }
}

describe('parseDeb822Parallel', () => {
  test('gives exactly the records of parseDeb822Stream for a fixture, in a worker', () =>
    withPool(async (pool) => {
      const expected = await collect(parseDeb822Stream(chunks(FIXTURE, 7, 100), { source: 'fixture' }));
      const actual = await collect(parseDeb822Parallel(chunks(FIXTURE, 7, 100), { source: 'fixture', pool, workerMinBytes: 0 }));
      assert.equal(expected.error, undefined);
      assert.equal(actual.error, undefined);
      assert.equal(expected.out.length, 4);
      assertSameParagraphs(actual.out, expected.out);
    }));

  test('gives exactly the records of parseDeb822Stream for a large synthetic index', () =>
    withPool(async (pool) => {
      const text = synthetic(30_000);
      assert.ok(text.length > 8 << 20, 'large enough to cross the default threshold and many messages');
      const expected = await collect(parseDeb822Stream(chunks(text, 65_536, 1_000_003), { source: 'big' }));
      const actual = await collect(parseDeb822Parallel(chunks(text, 65_536, 1_000_003), { source: 'big', pool, workerMinBytes: 4 << 20 }));
      assert.equal(actual.error, undefined);
      assert.equal(actual.out.length, 30_000);
      assertSameParagraphs(actual.out, expected.out);
    }));

  test('a malformed index fails in the worker with the same coded error, after the same paragraphs', () =>
    withPool(async (pool) => {
      const text = `${synthetic(3000)}\n\nPackage: broken\nVersion: 1\npackage: again\n\nPackage: never\n`;
      const expected = await collect(parseDeb822Stream(chunks(text, 50_000), { source: 'bad' }));
      const actual = await collect(parseDeb822Parallel(chunks(text, 50_000), { source: 'bad', pool, workerMinBytes: 0 }));
      assert.ok(expected.error instanceof DebstashError);
      assert.ok(actual.error instanceof DebstashError);
      assert.equal(actual.error.code, 'DEBSTASH_E_DEB822_DUPLICATE_FIELD');
      assert.equal(actual.error.code, expected.error.code);
      assert.equal(actual.error.message, expected.error.message);
      assert.deepEqual(actual.error.details, expected.error.details);
      assertSameParagraphs(actual.out, expected.out);
    }));

  test('a failing input is reported as itself, after what it gave was parsed', () =>
    withPool(async (pool) => {
      const broken = new Error('connection reset');
      async function* input(): AsyncGenerator<Uint8Array> {
        yield* chunks(synthetic(200), 4096);
        throw broken;
      }
      const expected = await collect(parseDeb822Stream(input()));
      const actual = await collect(parseDeb822Parallel(input(), { pool, workerMinBytes: 0 }));
      assert.equal(actual.error, broken);
      assertSameParagraphs(actual.out, expected.out);
    }));

  test('cancelling stops the worker and the parse', () =>
    withPool(async (pool) => {
      const controller = new AbortController();
      const reason = new Error('Ctrl-C');
      let read = 0;
      async function* endless(): AsyncGenerator<Uint8Array> {
        for (let i = 0; ; i++) {
          read++;
          yield Buffer.from(`Package: p${i}\nVersion: 1\n\n`.repeat(1000));
        }
      }
      const result = await collect(
        (async function* () {
          let n = 0;
          for await (const p of parseDeb822Parallel(endless(), { pool, workerMinBytes: 0, signal: controller.signal })) {
            if (++n === 5000) controller.abort(reason);
            yield p;
          }
        })(),
      );
      assert.equal(result.error, reason);
      assert.equal(pool.running, 0);
      const readAtEnd = read;
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(read, readAtEnd, 'the input is no longer read');
    }));

  test('a small input is parsed in this thread: no worker is started', async () => {
    // A pool whose script does not exist fails any job that reaches it.
    const pool = new WorkerPool(new URL('./no-such-worker.js', import.meta.url), 1);
    const { out, error } = await collect(parseDeb822Parallel(chunks(FIXTURE, 10), { pool, workerMinBytes: 1 << 20 }));
    assert.equal(error, undefined);
    assert.equal(out.length, 4);
    await pool.close();
  });
});
