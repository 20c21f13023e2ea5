// `npm run bench -- replicas`: API write throughput through one `up` replica against two, both
// over the same PostgreSQL and the same S3 endpoint (a real Swift on 127.0.0.1, the tests'
// PostgreSQL), each replica with an empty data dir of its own. CLIENTS clients at once, each
// uploading UPLOADS small .debs to a repo of its own and creating a snapshot of it after every
// SNAPSHOT_EVERY uploads; with two replicas the clients alternate between them.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';
import { postgresMissing, startPostgres, type PostgresServer } from '../test/helpers/postgres-server.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../test/helpers/swift-s3-server.js';
import { SERVING, startUp, type Up } from '../test/helpers/up-process.js';
import { quickDeb } from './synthetic-debs.js';

const CLIENTS = 8;
const UPLOADS = 20;
const SNAPSHOT_EVERY = 5;

const pct = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;

interface Replica {
  readonly url: string;
  readonly secret: string;
}

/** `up` on an empty data dir of its own, with a config that mirrors and publishes nothing: the API is what is measured. */
async function startReplica(dir: string, env: NodeJS.ProcessEnv): Promise<{ up: Up; replica: Replica }> {
  const data = await mkdtemp(join(dir, 'data-'));
  const config = join(data, 'debstash.yaml');
  await writeFile(config, 'mirrors: {}\npublishes: []\nserver:\n  listen: 127.0.0.1:0\nschedule:\n  refresh: off\n');
  const up = startUp(['--quiet', '--config', config, '--data-dir', data, 'up'], env, dir);
  const url = (await up.until(SERVING))[1] ?? '';
  await up.until(/debstash: ready|nothing to do/);
  const { secret } = JSON.parse(await readFile(join(data, 'server.json'), 'utf8')) as { secret: string };
  return { up, replica: { url, secret } };
}

async function call(r: Replica, method: string, path: string, body: Uint8Array | string, type: string): Promise<void> {
  const res = await fetch(`${r.url}${path}`, { method, headers: { Authorization: `Bearer ${r.secret}`, 'Content-Type': type }, body });
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
}

interface Result {
  readonly writes: number;
  readonly seconds: number;
  readonly upload: number[];
  readonly snapshot: number[];
  readonly load: readonly [number, number];
}

/** The workload through `replicas` (clients spread over them); package numbers from `first`. */
async function workload(replicas: readonly Replica[], first: number, tag: string): Promise<Result> {
  const clients = Array.from({ length: CLIENTS }, (_, c) => c);
  await forEachConcurrent(clients, CLIENTS, async (c) => {
    const r = replicas[c % replicas.length] as Replica;
    await call(r, 'POST', '/api/repos', JSON.stringify({ name: `${tag}-${c}` }), 'application/json');
  });
  const debs = clients.map((c) => Array.from({ length: UPLOADS }, (_, i) => quickDeb(first + c * UPLOADS + i).bytes));
  const upload: number[] = [];
  const snapshot: number[] = [];
  const loadBefore = loadavg()[0] ?? NaN;
  const started = performance.now();
  await forEachConcurrent(clients, CLIENTS, async (c) => {
    const r = replicas[c % replicas.length] as Replica;
    for (let i = 0; i < UPLOADS; i++) {
      let t = performance.now();
      await call(r, 'POST', `/api/repos/${tag}-${c}/packages`, debs[c]?.[i] ?? new Uint8Array(), 'application/vnd.debian.binary-package');
      upload.push(performance.now() - t);
      if ((i + 1) % SNAPSHOT_EVERY === 0) {
        t = performance.now();
        await call(r, 'POST', '/api/snapshots', JSON.stringify({ name: `${tag}-${c}-${i}`, fromRepo: `${tag}-${c}` }), 'application/json');
        snapshot.push(performance.now() - t);
      }
    }
  });
  const seconds = (performance.now() - started) / 1000;
  upload.sort((a, b) => a - b);
  snapshot.sort((a, b) => a - b);
  return { writes: upload.length + snapshot.length, seconds, upload, snapshot, load: [loadBefore, loadavg()[0] ?? NaN] };
}

export async function benchReplicas(): Promise<void> {
  const missing = SwiftS3Server.missing() ?? postgresMissing();
  if (missing !== undefined) {
    console.log(`replicas skipped: ${missing}`);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-replicas-'));
  let pg: PostgresServer | undefined;
  let swift: SwiftS3Server | undefined;
  const ups: Up[] = [];
  try {
    [pg, swift] = await Promise.all([startPostgres(), SwiftS3Server.start()]);
    await swift.createBucket('bench');
    // One, two, two, one: the load of a shared machine drifts, and this order spreads the drift over both.
    const results: { count: number; r: Result }[] = [];
    for (const [round, count] of ([1, 2, 2, 1] as const).entries()) {
      const env = {
        DEBSTASH_DATABASE_URL: await pg.createDatabase(`replicas_${round}`),
        DEBSTASH_STORAGE_URL: `s3://bench/r${round}?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1`,
        AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
        DEBSTASH_CONFIG: '',
      };
      const started = await Promise.all(Array.from({ length: count }, () => startReplica(dir, env)));
      ups.push(...started.map((s) => s.up));
      results.push({ count, r: await workload(started.map((s) => s.replica), (round + 1) * 100_000, `r${round}`) });
      for (const s of started) await s.up.stop();
    }
    const rateOf = (count: number): number => {
      const runs = results.filter((x) => x.count === count);
      return runs.reduce((n, x) => n + x.r.writes, 0) / runs.reduce((n, x) => n + x.r.seconds, 0);
    };
    const f = (n: number): string => n.toFixed(0);
    const rows = results.map(({ count, r }) =>
      `| ${count} | ${r.writes} in ${r.seconds.toFixed(1)} s | ${(r.writes / r.seconds).toFixed(1)} | ${f(pct(r.upload, 50))} / ${f(pct(r.upload, 99))} | ${f(pct(r.snapshot, 50))} / ${f(pct(r.snapshot, 99))} | ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)} |`,
    );
    console.log(`\n${CLIENTS} clients at once, each ${UPLOADS} uploads of a small .deb and a snapshot every ${SNAPSHOT_EVERY}; PostgreSQL and Swift on this machine\n`);
    console.log('| replicas | writes | writes/s | upload p50 / p99 ms | snapshot p50 / p99 ms | load average (1 min) before → after |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(row);
    console.log(`\ntwo replicas against one (writes over seconds of both runs each): ${(rateOf(2) / rateOf(1)).toFixed(2)}×`);
  } finally {
    for (const u of ups) await u.stop();
    await swift?.stop();
    await pg?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
