import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { haveGnuTime, type Measurement, measure, median } from './measure.js';
import { aptly, NOTHING_FILTER } from './mirror.js';
import { printTable } from './report.js';
import { benchUpstream, cachedIndex, type BenchUpstream } from './upstream.js';

const RUNS = 3;
const worker = fileURLToPath(new URL('./parse-worker.js', import.meta.url));

function haveAptly(): boolean {
  try {
    execFileSync('aptly', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** aptly reading the same full index: a mirror whose filter matches nothing, updated. */
async function aptlyReadIndex(up: BenchUpstream): Promise<Measurement[]> {
  const root = await mkdtemp(join(tmpdir(), 'debstash-bench-aptly-'));
  try {
    const tool = aptly(root, up);
    tool.create('empty', NOTHING_FILTER);
    const runs: Measurement[] = [];
    for (let i = 0; i < RUNS; i++) runs.push(await tool.update('empty'));
    return runs;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export async function benchParse(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const up = await benchUpstream();
  const path = `${up.component}/binary-${up.arch}/Packages.xz`;
  console.log(`parse: ${up.suite} ${path} from the host's apt source (${up.origin})`);
  const file = await cachedIndex(up, path);

  const runs = async (mode: 'thread' | 'worker'): Promise<Measurement> => {
    const all: Measurement[] = [];
    for (let i = 0; i < RUNS; i++) all.push(await measure([process.execPath, worker, file, mode]));
    const m = median(all);
    const result = JSON.parse(m.stdout) as { packages: number; names: number; wallS: number };
    console.log(`debstash (${mode}): ${result.packages} packages, ${result.names} names; decompress+parse+index ${result.wallS.toFixed(3)} s inside the process`);
    return m;
  };
  const ours = await runs('thread');
  const inWorker = await runs('worker');

  let aptly: Measurement | undefined;
  if (haveAptly()) aptly = median(await aptlyReadIndex(up));
  else console.log('aptly is not installed (apt-get install aptly): no side-by-side figures');
  printTable([
    { step: 'read full index', debstash: ours, ...(aptly ? { aptly } : {}) },
    { step: 'read full index, parse in a worker', debstash: inWorker },
  ]);
  console.log('(debstash reads the cached file; aptly also downloads it from the archive on each run)');
}
