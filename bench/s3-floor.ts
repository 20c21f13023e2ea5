// The endpoint's own cost of the requests a publish to a bucket is made of, with the SDK alone
// (no debstash code): the physical floor the scale bench prints beside its figures.
import { randomBytes } from 'node:crypto';
import { CopyObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';

export interface RequestFloor {
  readonly what: string;
  readonly count: number;
  readonly concurrency: number;
  readonly wallS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

async function timedRequests(what: string, count: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<RequestFloor> {
  const ms: number[] = [];
  const t0 = performance.now();
  await forEachConcurrent(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      const t = performance.now();
      await one(i);
      ms.push(performance.now() - t);
    },
  );
  const wallS = (performance.now() - t0) / 1000;
  ms.sort((a, b) => a - b);
  return { what, count, concurrency, wallS, p50Ms: percentile(ms, 50), p99Ms: percentile(ms, 99) };
}

/**
 * `count` objects of `size` bytes put under `under`src/ (aptly's request: a PutObject per pool
 * file), then each copied server-side to `under`dst/ (ours: a CopyObject per pool path), both
 * `concurrency` at a time; with concurrency 1 as well, as aptly 1.5 uploads one at a time.
 */
export async function requestFloor(client: S3Client, bucket: string, under: string, count: number, size: number, concurrency: number): Promise<RequestFloor[]> {
  const body = randomBytes(size);
  const put = (tag: string) => (i: number) => client.send(new PutObjectCommand({ Bucket: bucket, Key: `${under}${tag}/${i}`, Body: body, ContentLength: size }));
  const copy = (tag: string) => (i: number) =>
    client.send(new CopyObjectCommand({ Bucket: bucket, Key: `${under}${tag}/${i}`, CopySource: `${bucket}/${under}src/${i}`, MetadataDirective: 'REPLACE', Metadata: { sha256: '0' } }));
  return [
    await timedRequests(`PutObject ${size} B`, count, concurrency, put('src')),
    await timedRequests(`CopyObject ${size} B`, count, concurrency, copy('dst')),
    await timedRequests(`PutObject ${size} B`, count, 1, put('seq')),
    await timedRequests(`CopyObject ${size} B`, count, 1, copy('seqdst')),
  ];
}

export function printFloor(rows: readonly RequestFloor[]): void {
  console.log('| request (SDK alone) | n | at once | wall s | per s | p50 ms | p99 ms |\n| --- | --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.what} | ${r.count} | ${r.concurrency} | ${r.wallS.toFixed(2)} | ${(r.count / r.wallS).toFixed(0)} | ${r.p50Ms.toFixed(1)} | ${r.p99Ms.toFixed(1)} |`);
}
