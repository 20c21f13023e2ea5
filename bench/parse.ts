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

  const ours: Measurement[] = [];
  for (let i = 0; i < RUNS; i++) ours.push(await measure([process.execPath, worker, file]));
  const result = JSON.parse(median(ours).stdout) as { packages: number; names: number; wallS: number };
  console.log(`debstash: ${result.packages} packages, ${result.names} names; decompress+parse+index ${result.wallS.toFixed(3)} s inside the process`);

  let aptly: Measurement | undefined;
  if (haveAptly()) aptly = median(await aptlyReadIndex(up));
  else console.log('aptly is not installed (apt-get install aptly): no side-by-side figures');
  printTable([{ step: 'read full index', debstash: median(ours), ...(aptly ? { aptly } : {}) }]);
  console.log('(debstash reads the cached file; aptly also downloads it from the archive on each run)');
}
