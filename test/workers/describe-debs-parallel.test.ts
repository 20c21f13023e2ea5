import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerPool } from '../../src/concurrency/worker-pool.js';
import { DebstashError } from '../../src/errors/debstash-error.js';
import { describeDeb, once } from '../../src/workers/deb-description.js';
import { describeDebsInWorkers } from '../../src/workers/describe-debs-parallel.js';
import { buildDeb } from '../helpers/build-deb.js';

const script = new URL('../../src/workers/job-worker.js', import.meta.url);

describe('describeDebsInWorkers', () => {
  test('describes .debs exactly as this thread does, in order, with their bytes; a bad one fails with the same code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'debstash-describe-'));
    const pool = new WorkerPool(script, 2);
    try {
      const paths: string[] = [];
      for (let i = 0; i < 6; i++) {
        const spec = { name: `p${i}`, version: `1.${i}`, architecture: i % 2 === 0 ? 'all' : 'amd64', depends: 'libc6', files: { [`usr/share/doc/p${i}/README`]: `ünïcode ${i}\n` } };
        paths.push(await buildDeb(join(dir, 'debs'), spec, { compression: i % 2 === 0 ? 'gzip' : 'xz' }));
      }
      const described = await describeDebsInWorkers(paths, undefined, pool);
      assert.equal(described.length, paths.length);
      for (const [k, path] of paths.entries()) {
        const bytes = readFileSync(path);
        assert.deepEqual(described[k].deb, await describeDeb(once(bytes), path));
        assert.deepEqual(Buffer.from(described[k].bytes), bytes);
      }

      const bad = join(dir, 'bad_1_all.deb');
      writeFileSync(bad, 'not an ar archive at all');
      const here = await describeDeb(once(readFileSync(bad)), bad).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      const there = await describeDebsInWorkers([...paths, bad], undefined, pool).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(here instanceof DebstashError && there instanceof DebstashError);
      assert.equal(there.code, here.code);
      assert.equal(there.message, here.message);
      assert.deepEqual(there.details, here.details);
    } finally {
      await pool.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
