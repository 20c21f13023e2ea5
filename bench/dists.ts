// `npm run bench -- dists`: a publish to the data dir against the same publish to the bucket
// (S3 storage: pool paths copied, by-hash and Release objects put, InRelease last), on a real
// Swift on 127.0.0.1: the first publish of a synthetic repo, a republish after one package was
// added, and that republish by a replica whose working copy is empty (it reads the bucket first).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';
import { UPLOAD_CONCURRENCY, S3Pool } from '../src/pool/s3-pool.js';
import { BucketTree } from '../src/publish/bucket-tree.js';
import { publishTree, type PublishTreeOptions } from '../src/publish/publish-tree.js';
import type { PackageEntry } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../test/helpers/swift-s3-server.js';
import { makeTestSigner } from '../test/helpers/test-signer.js';
import { entryOf, syntheticPackage } from '../test/publish/synthetic-repo.js';

const PACKAGES = 2000;

export async function benchDists(): Promise<void> {
  const missing = SwiftS3Server.missing();
  if (missing !== undefined) {
    console.log(`dists skipped: ${missing}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-dists-'));
  const swift = await SwiftS3Server.start();
  try {
    await swift.createBucket('bench');
    const pool = await S3Pool.open({ bucket: 'bench', prefix: 'bench/', endpoint: swift.endpoint, region: 'us-east-1', forcePathStyle: true }, SWIFT_CREDENTIALS);
    const store = SqliteStore.open(join(dir, 'store.db'));
    const signer = await makeTestSigner(join(dir, 'key'));
    const all = Array.from({ length: PACKAGES + 1 }, (_, i) => syntheticPackage(i, 9));
    await forEachConcurrent(all, UPLOAD_CONCURRENCY, async (p) => {
      await pool.put(Readable.from([p.content]), { sha256: p.sha256, size: p.content.length });
    });
    const first = all.slice(0, PACKAGES).map((p) => entryOf(p));
    const second = all.map((p) => entryOf(p));
    const options = (prefix: string, root: string, set: PackageEntry[]): PublishTreeOptions => ({
      root, prefix, dist: 'bench', components: [{ name: 'main', packages: set }], architectures: ['amd64'], meta: {}, signer, pool, store,
    });
    const timed = async (fn: () => Promise<unknown>): Promise<number> => {
      const t = performance.now();
      await fn();
      return performance.now() - t;
    };
    const toBucket = async (root: string, set: PackageEntry[]): Promise<void> => {
      const bucket = new BucketTree({ objects: pool.publicObjects(), store, root, prefix: 'bucket', dist: 'bench' });
      await bucket.hydrate();
      await publishTree({ ...options('bucket', root, set), onStep: (s) => bucket.step(s) });
    };
    const local = join(dir, 'local');
    const replicaA = join(dir, 'a');
    const rows = [
      ['first publish', await timed(() => publishTree(options('disk', local, first))), await timed(() => toBucket(replicaA, first))],
      ['republish, 1 package added', await timed(() => publishTree(options('disk', local, second))), await timed(() => toBucket(replicaA, second))],
    ];
    // The same package set again from another replica would be unchanged: a new one, so it writes a generation.
    const third = second.slice(1);
    const replicaB = await timed(() => toBucket(join(dir, 'b'), third));
    console.log(`dists: ${PACKAGES} synthetic packages, Swift on 127.0.0.1 sharing the cores\n`);
    console.log('| publish | to the data dir, ms | to the bucket, ms |\n| --- | --- | --- |');
    for (const [what, disk, bucket] of rows) console.log(`| ${String(what)} | ${Number(disk).toFixed(0)} | ${Number(bucket).toFixed(0)} |`);
    console.log(`| republish (1 package removed) by a replica with an empty working copy | | ${replicaB.toFixed(0)} |`);
    await store.close();
    pool.close();
  } finally {
    await swift.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
