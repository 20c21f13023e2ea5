import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, open, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDeb } from '../test/helpers/build-deb.js';

const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));
const NGINX = '/usr/sbin/nginx';
const WRK = '/usr/bin/wrk';
/**
 * wrk's settings of the issue: 2 threads, 64 keep-alive connections, a bounded run. 64 clients
 * of 10 MiB each on a busy 2-core machine wait past wrk's 2 s default: such a request is slow,
 * not failed, and should count in the latencies.
 */
const WRK_ARGS = ['-t2', '-c64', '--timeout', '10s'];
const RUN_SECONDS = Number(process.env.BENCH_SERVE_SECONDS ?? 10);
const RUNS = Number(process.env.BENCH_SERVE_RUNS ?? 3);
const BIG_BYTES = 10 * 2 ** 20;

interface WrkResult {
  readonly reqPerS: number;
  readonly mibPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx/3xx answers and socket errors: a fast server that fails is no fast server. */
  readonly errors: number;
}

/** The big downloads running meanwhile in the fairness case: 4 connections on the 10 MiB file. */
const BIG_ARGS = ['-t1', '-c4', '--timeout', '30s'];

interface Server {
  readonly name: string;
  readonly port: number;
}

/**
 * `wrk` against `debstash serve` (one process, and `--workers 2`) and against nginx serving a
 * `publish export` of the same publish, in the same run, alternating: InRelease (small) and a
 * 10 MiB .deb in pool/, req/s with p50/p99; then fairness: InRelease p99 alone and while 4
 * connections download the big file. Needs the Debian packages wrk and nginx-light (or
 * nginx); nginx runs from its own config in a temp dir on 127.0.0.1 and is stopped by PID.
 * BENCH_SERVE_RUNS and BENCH_SERVE_SECONDS change the defaults.
 */
export async function benchServe(): Promise<void> {
  for (const tool of [WRK, NGINX]) if (!existsSync(tool)) throw new Error(`bench serve needs ${tool}: apt-get install wrk nginx-light`);
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-serve-'));
  const children: ChildProcess[] = [];
  try {
    const { exportDir, small, big, env } = await publishFixture(dir);
    // Every server logs each request (nginx its access log, debstash its JSON lines).
    const servers: Server[] = [];
    for (const [name, flags] of [['debstash', []], ['debstash --workers 2', ['--workers', '2']]] as const) {
      const port = await freePort();
      const log = await open(join(dir, `${name}.log`), 'w');
      children.push(spawn(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`, ...flags], { env, stdio: ['ignore', 'ignore', log.fd] }));
      await log.close();
      servers.push({ name, port });
    }
    const nginxPort = await freePort();
    children.push(await startNginx(dir, exportDir, nginxPort));
    servers.push({ name: 'nginx', port: nginxPort });
    for (const { port } of servers) await waitForHttp(`http://127.0.0.1:${port}/${small}`);
    await sameBytes(servers, [small, big]);

    const rows: string[][] = [];
    const ratios = new Map<string, { req: number[]; p99: number[] }>();
    for (const [label, path] of [['InRelease', small], ['10 MiB .deb', big]] as const) {
      // Warm all: the page cache, nginx's workers, and debstash's cache of hot files.
      for (const { port } of servers) await wrk(`http://127.0.0.1:${port}/${path}`, 2);
      for (let run = 1; run <= RUNS; run++) {
        const results = [];
        for (const server of servers) results.push({ server, r: await wrk(`http://127.0.0.1:${server.port}/${path}`, RUN_SECONDS) });
        const n = results.at(-1)?.r;
        if (n === undefined) throw new Error('no nginx result');
        for (const { server, r } of results) {
          const vs = { req: r.reqPerS / n.reqPerS, p99: r.p99Ms / n.p99Ms };
          rows.push([label, String(run), server.name, ...cells(r), ratio(vs.req), ratio(vs.p99)]);
          if (server.name === 'nginx') continue;
          const key = `${label}, ${server.name}`;
          const acc = ratios.get(key) ?? { req: [], p99: [] };
          acc.req.push(vs.req);
          acc.p99.push(vs.p99);
          ratios.set(key, acc);
        }
      }
    }
    console.log(`wrk ${WRK_ARGS.join(' ')} -d${RUN_SECONDS}s, ${RUNS} runs each, the servers taking turns`);
    printAligned([['file', 'run', 'server', 'req/s', 'MiB/s', 'p50 ms', 'p99 ms', 'errors', 'req/s vs nginx', 'p99 vs nginx'], ...rows]);
    for (const [key, r] of ratios) console.log(`${key}: req/s ${range(r.req)} of nginx, p99 ${range(r.p99)} of nginx's`);
    await fairness(servers, small, big);
  } finally {
    for (const c of children) await stop(c);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * What 4 big downloads do to everyone else: InRelease with wrk's 64 connections alone, then
 * while `wrk -t1 -c4` fetches the 10 MiB file over and over, per server, RUNS times.
 */
async function fairness(servers: readonly Server[], small: string, big: string): Promise<void> {
  const rows: string[][] = [];
  for (let run = 1; run <= RUNS; run++) {
    for (const server of servers) {
      const url = (path: string): string => `http://127.0.0.1:${server.port}/${path}`;
      const alone = await wrk(url(small), RUN_SECONDS);
      const downloads = wrk(url(big), RUN_SECONDS + 2, BIG_ARGS);
      // The downloads get going before the small requests are measured.
      await new Promise((r) => setTimeout(r, 1000));
      const withBig = await wrk(url(small), RUN_SECONDS);
      const bigResult = await downloads;
      rows.push([String(run), server.name, alone.p50Ms.toFixed(2), alone.p99Ms.toFixed(2), withBig.p50Ms.toFixed(2), withBig.p99Ms.toFixed(2), ratio(withBig.p99Ms / alone.p99Ms), withBig.reqPerS.toFixed(0), bigResult.mibPerS.toFixed(0), bigResult.p99Ms.toFixed(0)]);
    }
  }
  console.log(`fairness: InRelease (wrk ${WRK_ARGS.join(' ')} -d${RUN_SECONDS}s) alone, then while wrk ${BIG_ARGS.join(' ')} downloads the 10 MiB .deb`);
  printAligned([['run', 'server', 'alone p50 ms', 'alone p99 ms', 'with 4 big p50 ms', 'with 4 big p99 ms', 'p99 with/alone', 'InRelease req/s with', 'big MiB/s', 'big p99 ms'], ...rows]);
}

/** Every server sends the same bytes for each path: nginx serves the export, not something else. */
async function sameBytes(servers: readonly Server[], paths: readonly string[]): Promise<void> {
  for (const path of paths) {
    const sums = await Promise.all(
      servers.map(async ({ name, port }) => {
        const res = await fetch(`http://127.0.0.1:${port}/${path}`);
        if (!res.ok) throw new Error(`${name} answered ${res.status} for /${path}`);
        return createHash('sha256').update(Buffer.from(await res.arrayBuffer())).digest('hex');
      }),
    );
    if (new Set(sums).size !== 1) throw new Error(`/${path} differs between ${servers.map((s, i) => `${s.name} ${sums[i]}`).join(', ')}`);
  }
}

/** A signed publish of a local repo holding a small package and a 10 MiB one, through the CLI. */
async function publishFixture(dir: string): Promise<{ exportDir: string; small: string; big: string; env: NodeJS.ProcessEnv }> {
  const dataDir = join(dir, 'data');
  const env = { ...process.env, DEBSTASH_DATA_DIR: dataDir };
  const cli = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  const debs = join(dir, 'debs');
  const hello = await buildDeb(debs, { name: 'hello', version: '1.0', architecture: 'amd64', files: { 'usr/share/doc/hello/README': 'hello\n' } }, { compression: 'gzip' });
  const large = await buildDeb(debs, { name: 'large', version: '1.0', architecture: 'amd64', files: { 'usr/share/large/blob': { randomBytes: BIG_BYTES } } }, { compression: 'none' });
  cli('-q', 'key', 'generate');
  cli('-q', 'repo', 'create', 'bench');
  cli('-q', 'repo', 'add', 'bench', hello, large);
  cli('-q', 'publish', 'repo', 'bench', '--dist', 'bench');
  // public/ has no pool/ (debstash serves it from the store's pool view): nginx gets the plain
  // tree a user of nginx would make, hard links into the pool.
  const exportDir = join(dir, 'export');
  cli('-q', 'publish', 'export', exportDir);
  // nginx's workers run as an unprivileged user: they must get through to the export and to
  // the pool files it links (their mode is the pool's).
  for (const d of [dir, dataDir]) await chmod(d, 0o755);
  await chmodTree(exportDir);
  return { exportDir, small: 'dists/bench/InRelease', big: 'pool/main/l/large/large_1.0_amd64.deb', env };
}

/** Directories 0755 and files 0644 below `root`: readable by nginx's unprivileged workers. */
async function chmodTree(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const entry of await readdir(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    if (entry.isDirectory()) await chmodTree(path);
    else await chmod(path, 0o644);
  }
}

/** nginx as Debian configures it (sendfile, tcp_nopush, an access log, one worker per core), on 127.0.0.1 only. */
async function startNginx(dir: string, root: string, port: number): Promise<ChildProcess> {
  const temp = join(dir, 'nginx-temp');
  await mkdir(temp);
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `worker_processes auto;
daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')};
events { worker_connections 1024; }
http {
  sendfile on;
  tcp_nopush on;
  include /etc/nginx/mime.types;
  default_type application/octet-stream;
  access_log ${join(dir, 'nginx-access.log')};
  client_body_temp_path ${temp};
  proxy_temp_path ${temp};
  fastcgi_temp_path ${temp};
  uwsgi_temp_path ${temp};
  scgi_temp_path ${temp};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  return spawn(NGINX, ['-c', conf, '-e', join(dir, 'nginx-error.log')], { stdio: 'ignore' });
}

async function wrk(url: string, seconds: number, args: readonly string[] = WRK_ARGS): Promise<WrkResult> {
  const child = spawn(WRK, [...args, '--latency', `-d${seconds}s`, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`wrk ${url} exited ${code}:\n${out}`);
  return parseWrk(out);
}

/** The figures of wrk's report; its sizes are binary (1 MB = 1 MiB). */
export function parseWrk(out: string): WrkResult {
  const num = (re: RegExp): string[] => {
    const m = re.exec(out);
    if (m === null) throw new Error(`no ${re.source} in wrk output:\n${out}`);
    return m.slice(1);
  };
  const [req = ''] = num(/Requests\/sec:\s+([\d.]+)/);
  const [size = '', unit = ''] = num(/Transfer\/sec:\s+([\d.]+)([KMGT]?B)/);
  const [p50 = '', u50 = ''] = num(/50%\s+([\d.]+)(us|ms|s)/);
  const [p99 = '', u99 = ''] = num(/99%\s+([\d.]+)(us|ms|s)/);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? '0';
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1) ?? [];
  const toMiB: Record<string, number> = { B: 2 ** -20, KB: 2 ** -10, MB: 1, GB: 2 ** 10, TB: 2 ** 20 };
  const toMs: Record<string, number> = { us: 1e-3, ms: 1, s: 1e3 };
  return {
    reqPerS: Number(req),
    mibPerS: Number(size) * (toMiB[unit] ?? NaN),
    p50Ms: Number(p50) * (toMs[u50] ?? NaN),
    p99Ms: Number(p99) * (toMs[u99] ?? NaN),
    errors: Number(non2xx) + socket.reduce((sum, n) => sum + Number(n), 0),
  };
}

function cells(r: WrkResult): string[] {
  return [r.reqPerS.toFixed(0), r.mibPerS.toFixed(0), r.p50Ms.toFixed(2), r.p99Ms.toFixed(2), String(r.errors)];
}

const ratio = (x: number): string => `${x.toFixed(2)}x`;

function range(xs: readonly number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `${ratio(sorted[0] ?? NaN)}..${ratio(sorted.at(-1) ?? NaN)} (median ${ratio(sorted[Math.floor(sorted.length / 2)] ?? NaN)})`;
}

function printAligned(table: readonly (readonly string[])[]): void {
  const widths = (table[0] ?? []).map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
  for (const row of table) console.log(row.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Polls until the URL answers 200 (bounded: 10 s). */
async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(url).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within 10 s`);
}

/** SIGTERM by PID, then SIGKILL if it has not exited within 5 s. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
