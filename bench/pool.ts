// `npm run bench -- pool`: the pool's put and open, local disk against S3 (a real Swift on
// 127.0.0.1, as the tests start it). Latency of one 64 KiB file at a time, then throughput of
// many 256 KiB files put 16 at a time (the S3 pool's upload bound).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';
import { FsPool } from '../src/pool/fs-pool.js';
import type { Pool } from '../src/pool/pool.js';
import { S3Pool, UPLOAD_CONCURRENCY } from '../src/pool/s3-pool.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../test/helpers/swift-s3-server.js';

const LATENCY_FILES = 200;
const LATENCY_SIZE = 64 * 1024;
const THROUGHPUT_FILES = 400;
const THROUGHPUT_SIZE = 256 * 1024;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

async function drain(s: Readable): Promise<number> {
  let n = 0;
  for await (const c of s) n += (c as Buffer).length;
  return n;
}

async function measurePool(name: string, pool: Pool): Promise<string> {
  const small = Array.from({ length: LATENCY_FILES }, () => randomBytes(LATENCY_SIZE));
  const puts: number[] = [];
  for (const b of small) {
    const t = performance.now();
    await pool.put(Readable.from([b]), { sha256: sha256(b), size: b.length });
    puts.push(performance.now() - t);
  }
  const opens: number[] = [];
  for (const b of small) {
    const t = performance.now();
    await drain(await pool.open(sha256(b)));
    opens.push(performance.now() - t);
  }
  puts.sort((a, b) => a - b);
  opens.sort((a, b) => a - b);
  const big = Array.from({ length: THROUGHPUT_FILES }, () => randomBytes(THROUGHPUT_SIZE));
  const t = performance.now();
  await forEachConcurrent(big, UPLOAD_CONCURRENCY, async (b) => {
    await pool.put(Readable.from([b]), { sha256: sha256(b), size: b.length });
  });
  const putMiBs = (THROUGHPUT_FILES * THROUGHPUT_SIZE) / 2 ** 20 / ((performance.now() - t) / 1000);
  const r = performance.now();
  await forEachConcurrent(big, UPLOAD_CONCURRENCY, async (b) => {
    await drain(await pool.open(sha256(b)));
  });
  const readMiBs = (THROUGHPUT_FILES * THROUGHPUT_SIZE) / 2 ** 20 / ((performance.now() - r) / 1000);
  const f = (n: number): string => n.toFixed(1);
  return `| ${name} | ${f(pct(puts, 50))} / ${f(pct(puts, 99))} | ${f(pct(opens, 50))} / ${f(pct(opens, 99))} | ${f(putMiBs)} | ${f(readMiBs)} |`;
}

export async function benchPool(): Promise<void> {
  const rows: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-pool-'));
  try {
    rows.push(await measurePool('local disk', await FsPool.open(dir)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const missing = SwiftS3Server.missing();
  if (missing !== undefined) {
    console.log(`S3 skipped: ${missing}`);
  } else {
    const swift = await SwiftS3Server.start();
    try {
      await swift.createBucket('bench');
      const pool = await S3Pool.open({ bucket: 'bench', prefix: 'bench/', endpoint: swift.endpoint, region: 'us-east-1', forcePathStyle: true }, SWIFT_CREDENTIALS);
      rows.push(await measurePool('S3 (Swift on 127.0.0.1)', pool));
      pool.close();
    } finally {
      await swift.stop();
    }
  }
  console.log(`\n| pool | put ${LATENCY_SIZE / 1024} KiB p50 / p99 ms | open+read p50 / p99 ms | put ${THROUGHPUT_FILES}×${THROUGHPUT_SIZE / 1024} KiB MiB/s (${UPLOAD_CONCURRENCY} at once) | read MiB/s |`);
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}
