// `npm run bench -- scale`: issue 13's publish to S3. debstash (S3 storage: the pool in the
// bucket, a publish copies its pool paths server-side) and aptly (`publish ... s3:bench:`, which
// uploads every pool file from its local pool) publish the same package sets to two buckets of
// the same Swift on 127.0.0.1, in the same run: the seed snapshot and a synthetic repository,
// the first publish and a republish after one package was added. Then the endpoint's own cost
// of the requests each is made of (the SDK alone), the floor.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UPLOAD_CONCURRENCY } from '../src/pool/s3-pool.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../test/helpers/swift-s3-server.js';
import { haveGnuTime, type Measurement, measure } from './measure.js';
import { aptly, debstash, SEED_FILTER } from './mirror.js';
import { debstashCli, gpgKey, syntheticRepoTools } from './publish.js';
import { printTable, type Row } from './report.js';
import { printFloor, requestFloor } from './s3-floor.js';
import { quickDeb, quickSyntheticDebs } from './synthetic-debs.js';
import { benchUpstream } from './upstream.js';

/** Size of the synthetic repository (issue 13: 20,000). */
const COUNT = Number(process.env.DEBSTASH_BENCH_SCALE_COUNT ?? 20_000);
/** Requests of each kind the floor measures. */
const FLOOR_REQUESTS = 400;
const REGION = 'us-east-1';

/** How each tool reaches its bucket of `swift` under `prefix`. */
function s3Settings(swift: SwiftS3Server, prefix: string): { readonly env: NodeJS.ProcessEnv; readonly aptlyConf: Record<string, unknown> } {
  return {
    env: {
      DEBSTASH_STORAGE_URL: `s3://debstash/${prefix}?endpoint=${encodeURIComponent(swift.endpoint)}&region=${REGION}&path_style=1`,
      AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
    },
    // aptly 1.5 (aws-sdk-go v1) goes path-style whenever `endpoint` is set; SigV4 works with s3api.
    aptlyConf: {
      S3PublishEndpoints: {
        bench: { region: REGION, bucket: 'aptly', endpoint: swift.endpoint, awsAccessKeyID: SWIFT_CREDENTIALS.accessKeyId, awsSecretAccessKey: SWIFT_CREDENTIALS.secretAccessKey, prefix, forceSigV2: false },
      },
    },
  };
}

/** What a published tree under `under` of `bucket` holds: InRelease of `dist` there, .debs under pool/. */
async function publishedTree(client: S3Client, bucket: string, under: string, dist: string): Promise<{ inRelease: boolean; debs: number }> {
  let token: string | undefined;
  let inRelease = false;
  let debs = 0;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: under, ...(token !== undefined ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) {
      const rel = (o.Key ?? '').slice(under.length);
      if (rel === `dists/${dist}/InRelease`) inRelease = true;
      if (rel.startsWith('pool/') && rel.endsWith('.deb')) debs++;
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return { inRelease, debs };
}

async function reportTrees(client: S3Client, prefix: string, dist: string): Promise<void> {
  const ours = await publishedTree(client, 'debstash', `${prefix}/public/`, dist);
  const theirs = await publishedTree(client, 'aptly', `${prefix}/`, dist);
  console.log(`in the buckets: debstash InRelease ${ours.inRelease ? 'present' : 'MISSING'}, ${ours.debs} .debs under pool/; aptly InRelease ${theirs.inRelease ? 'present' : 'MISSING'}, ${theirs.debs} .debs under pool/`);
}

const loadAverage = (): string => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).split(' ').slice(0, 3).join(' ');

/** The seed snapshot (a mirror of the host archive, each tool's pool filled by its own update). */
async function benchSeed(swift: SwiftS3Server, client: S3Client, root: string): Promise<void> {
  const up = await benchUpstream();
  const s3 = s3Settings(swift, 'seed');
  const gpg = gpgKey(root);
  const ours = debstash(root, up, s3.env);
  const theirs = aptly(root, up, s3.aptlyConf);
  for (const t of [ours, theirs]) t.create('seed', SEED_FILTER);
  const updates: Row = { step: 'mirror update (debstash: pool into S3)', debstash: await ours.update('seed'), aptly: await theirs.update('seed') };

  const extra = join(root, 'extra.deb');
  await writeFile(extra, quickDeb(COUNT + 1).bytes);
  const d = debstashCli(join(root, 'debstash'), s3.env);
  const conf = join(root, 'aptly.conf');
  const aptlyRun = (...args: string[]): void => void execFileSync('aptly', [`-config=${conf}`, ...args], { env: gpg.env, stdio: 'ignore' });
  const a = (...args: string[]): Promise<Measurement> => measure(['aptly', `-config=${conf}`, ...args], gpg.env);
  const signing = ['-batch', `-gpg-key=${gpg.fingerprint}`, '-skip-contents'];
  d.run('-q', 'key', 'generate');
  for (const args of [['snapshot', 'create', 's1', '--from-mirror', 'seed'], ['repo', 'create', 'extra'], ['repo', 'add', 'extra', extra], ['snapshot', 'create', 'x1', '--from-repo', 'extra'], ['snapshot', 'merge', 's2', 's1', 'x1']]) d.run('-q', ...args);
  for (const args of [['snapshot', 'create', 's1', 'from', 'mirror', 'seed'], ['repo', 'create', 'extra'], ['repo', 'add', 'extra', extra], ['snapshot', 'create', 'x1', 'from', 'repo', 'extra'], ['snapshot', 'merge', 's2', 's1', 'x1']]) aptlyRun(...args);

  const load = loadAverage();
  const rows: Row[] = [
    updates,
    { step: 'first publish to S3', debstash: await d.time('publish', 'snapshot', 's1', '--dist', 'bench'), aptly: await a('publish', 'snapshot', ...signing, '-distribution=bench', 's1', 's3:bench:') },
    { step: 'republish, 1 package added (switch)', debstash: await d.time('publish', 'switch', 'bench', 's2'), aptly: await a('publish', 'switch', ...signing, 'bench', 's3:bench:', 's2') },
  ];
  console.log(`\nscale, seed snapshot (${up.suite} ${up.component} ${up.arch}, filter ${SEED_FILTER}) published to S3 (Swift on 127.0.0.1); load average before ${load}, after ${loadAverage()}:`);
  printTable(rows);
  await reportTrees(client, 'seed', 'bench');
}

/** COUNT synthetic packages in a local repository of each tool, published to S3. */
async function benchSynthetic(swift: SwiftS3Server, client: S3Client, root: string): Promise<number> {
  const debs = await quickSyntheticDebs(COUNT);
  const extra = execFileSync('find', [debs.extra, '-name', '*.deb'], { encoding: 'utf8' }).trim();
  const s3 = s3Settings(swift, 'syn');
  const { d, a, signing } = await syntheticRepoTools(root, s3);
  const add: Row = { step: `add ${COUNT} .debs (debstash: pool into S3)`, debstash: await d.time('repo', 'add', 'syn', debs.dir), aptly: await a('repo', 'add', 'syn', debs.dir) };
  const load = loadAverage();
  const rows: Row[] = [
    add,
    { step: 'first publish to S3', debstash: await d.time('publish', 'repo', 'syn', '--dist', 'syn'), aptly: await a('publish', 'repo', ...signing, '-skip-contents', 'syn', 's3:bench:') },
  ];
  await d.time('repo', 'add', 'syn', extra);
  await a('repo', 'add', 'syn', extra);
  rows.push({ step: 'republish, 1 package added', debstash: await d.time('publish', 'update', 'syn'), aptly: await a('publish', 'update', ...signing, '-skip-contents', 'syn', 's3:bench:') });
  console.log(`\nscale, synthetic repo of ${COUNT} .debs published to S3 (Swift on 127.0.0.1); load average before ${load}, after ${loadAverage()}:`);
  printTable(rows);
  await reportTrees(client, 'syn', 'syn');
  const first = join(debs.dir, (await readdir(debs.dir))[0] ?? '');
  const sizes = await Promise.all((await readdir(first)).slice(0, 50).map(async (f) => (await stat(join(first, f))).size));
  return Math.round(sizes.reduce((x, y) => x + y, 0) / Math.max(1, sizes.length));
}

export async function benchScale(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const missing = SwiftS3Server.missing();
  if (missing !== undefined) {
    console.log(`scale skipped: ${missing}`);
    return;
  }
  const only = process.env.DEBSTASH_BENCH_SCALE;
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-scale-'));
  const swift = await SwiftS3Server.start();
  const client = swift.client(3);
  try {
    for (const b of ['debstash', 'aptly', 'floor']) await swift.createBucket(b);
    if (only === undefined || only === 'seed') await mkdir(join(root, 'seed')).then(() => benchSeed(swift, client, join(root, 'seed')));
    let size = 1500;
    if (only === undefined || only === 'synthetic') size = await mkdir(join(root, 'syn')).then(() => benchSynthetic(swift, client, join(root, 'syn')));
    const load = loadAverage();
    const floor = await requestFloor(client, 'floor', 'f/', FLOOR_REQUESTS, size, UPLOAD_CONCURRENCY);
    console.log(`\nfloor: the endpoint's cost of one request (objects of ${size} B, the synthetic .debs' mean), the SDK alone; load average before ${load}, after ${loadAverage()}:`);
    printFloor(floor);
    const [, copies, puts] = floor;
    if (copies !== undefined && puts !== undefined) {
      console.log(`at these rates ${COUNT} pool paths cost ${(COUNT / (copies.count / copies.wallS)).toFixed(0)} s as CopyObjects ${copies.concurrency} at once (debstash), ${(COUNT / (puts.count / puts.wallS)).toFixed(0)} s as PutObjects one at a time (aptly 1.5)`);
    }
  } finally {
    client.destroy();
    await swift.stop();
    await rm(root, { recursive: true, force: true });
  }
}
