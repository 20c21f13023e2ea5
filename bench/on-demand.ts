import { execFileSync, spawn } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, type Measurement, measure } from './measure.js';
import { aptly, NOTHING_FILTER } from './mirror.js';
import { benchUpstream } from './upstream.js';

const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));
/** Package files pulled through the server, cold then warm. */
const SAMPLE = 30;

const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;

/** Milliseconds of one GET to its last byte; fails unless 200. */
async function timedGet(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status}`);
  await res.arrayBuffer();
  return performance.now() - t0;
}

/**
 * `npm run bench -- on-demand`: the whole main component of the host's archive as an on-demand
 * mirror, from `mirror create --policy on-demand` to a signed publish answering apt (time to
 * ready, the largest RSS of the steps), beside aptly reading the same full index (its `mirror
 * update` with a filter that matches nothing: aptly has no index-only update, and without the
 * files it cannot publish at all). Then SAMPLE package files pulled through the server: the
 * first request of each (an upstream fetch) and a second one (from the pool).
 */
export async function benchOnDemand(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const up = await benchUpstream();
  console.log(`on-demand: ${up.uri} ${up.suite} ${up.component} ${up.arch} (from ${up.origin}), no filter`);
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-on-demand-'));
  const env = { ...process.env, DEBSTASH_DATA_DIR: join(root, 'debstash') };
  const cli = (...args: string[]): string => execFileSync(process.execPath, [bin, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 30 });
  const keyring = up.signedBy?.startsWith('/') ? ['--keyring', up.signedBy] : [];
  let serve: ReturnType<typeof spawn> | undefined;
  try {
    cli('-q', 'key', 'generate', '--name', 'bench');
    const steps: [string, Measurement][] = [];
    const step = async (name: string, ...args: string[]): Promise<void> => {
      steps.push([name, await measure([process.execPath, bin, '-q', ...args], env)]);
    };
    const t0 = performance.now();
    await step('mirror create', 'mirror', 'create', 'full', up.uri, up.suite, up.component, '--arch', up.arch, '--policy', 'on-demand', ...keyring);
    await step('mirror update', 'mirror', 'update', 'full');
    await step('snapshot create', 'snapshot', 'create', 'full-1', '--from-mirror', 'full');
    await step('publish', 'publish', 'snapshot', 'full-1', '--dist', up.suite);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const url = `http://127.0.0.1:${port}`;
    const tServe = performance.now();
    serve = spawn(process.execPath, [bin, 'serve', '--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
    for (let i = 0; ; i++) {
      const ok = await fetch(`${url}/dists/${up.suite}/InRelease`).then((r) => r.ok, () => false);
      if (ok) break;
      if (i > 600) throw new Error('serve did not answer InRelease within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const serveS = (performance.now() - tServe) / 1000;
    const readyS = (performance.now() - t0) / 1000;

    const theirs = aptly(root, up);
    theirs.create('nothing', NOTHING_FILTER);
    const aptlyRead = await theirs.update('nothing');

    const packages = (JSON.parse(cli('--json', 'mirror', 'show', 'full')) as { packages: { filename: string; size: number }[] }).packages;
    // Spread over the archive, the smaller half: latency, not bandwidth.
    const small = packages.filter((p) => p.size < 200_000);
    const sample = Array.from({ length: SAMPLE }, (_, i) => small[Math.floor((i * small.length) / SAMPLE)]?.filename ?? '');
    const cold: number[] = [];
    for (const f of sample) cold.push(await timedGet(`${url}/${f}`));
    const warm: number[] = [];
    for (const f of sample) warm.push(await timedGet(`${url}/${f}`));
    const serveRssMB = Number(/VmHWM:\s+(\d+)/.exec(await readFile(`/proc/${serve.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

    const load = (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
    console.log(`packages: ${packages.length}; load average ${load}`);
    for (const [name, m] of steps) console.log(`  ${name.padEnd(16)} ${m.wallS.toFixed(2).padStart(7)} s wall  ${m.cpuS.toFixed(2).padStart(7)} s cpu  ${m.maxRssMB.toFixed(0).padStart(5)} MB peak RSS`);
    console.log(`  ${'serve ready'.padEnd(16)} ${serveS.toFixed(2).padStart(7)} s wall (spawn to the first 200 of InRelease)`);
    const peak = Math.max(...steps.map(([, m]) => m.maxRssMB));
    console.log(`time to ready: ${readyS.toFixed(2)} s (mirror create to a signed publish served), peak RSS ${peak.toFixed(0)} MB`);
    console.log(`aptly mirror update, filter matching nothing (its full-index read): ${aptlyRead.wallS.toFixed(2)} s wall, ${aptlyRead.cpuS.toFixed(2)} s cpu, ${aptlyRead.maxRssMB.toFixed(0)} MB peak RSS`);
    const update = steps.find(([n]) => n === 'mirror update')?.[1];
    if (update !== undefined) console.log(`ratios: debstash update / aptly read ${(update.wallS / aptlyRead.wallS).toFixed(2)}x wall, ${(update.maxRssMB / aptlyRead.maxRssMB).toFixed(2)}x RSS; debstash time to ready / aptly read ${(readyS / aptlyRead.wallS).toFixed(2)}x`);
    const show = (name: string, ms: number[]): string => {
      const s = [...ms].sort((a, b) => a - b);
      return `${name}: p50 ${percentile(s, 50).toFixed(1)} ms, p99 ${percentile(s, 99).toFixed(1)} ms, ${(ms.length / (ms.reduce((a, b) => a + b, 0) / 1000)).toFixed(1)} files/s one at a time`;
    };
    console.log(show(`first request (upstream pull) of ${SAMPLE} files`, cold));
    console.log(show(`second request (pool) of the same`, warm));
    console.log(`serve peak RSS after the pulls: ${serveRssMB.toFixed(0)} MB`);
  } finally {
    if (serve?.pid !== undefined && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve?.once('exit', r));
    }
    await rm(root, { recursive: true, force: true });
  }
}
