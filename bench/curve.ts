import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { haveGnuTime, type Measurement } from './measure.js';
import { syntheticRepoTools } from './publish.js';
import { printTable, type Row } from './report.js';
import { firstPackages, quickSyntheticDebs } from './synthetic-debs.js';

/** Sizes of the curve: DEBSTASH_BENCH_CURVE=1000,5000,20000,60000 (multiples of 500); the default keeps a run to minutes. */
const SIZES = (process.env.DEBSTASH_BENCH_CURVE ?? '1000,5000,20000').split(',').map(Number);
/** Above this log-log slope a step grows faster than the repository: worse than linear. */
const LINEAR = 1.05;

const STEPS = ['repo add', 'snapshot', 'full publish', 'republish 1 added'] as const;
type Step = (typeof STEPS)[number];

interface Point {
  readonly size: number;
  readonly debstash: Measurement;
  readonly aptly: Measurement;
}

/** One size: the four steps, debstash and aptly on the same packages in the same run. */
async function runSize(size: number, dirs: readonly string[], extra: string): Promise<Record<Step, { debstash: Measurement; aptly: Measurement }>> {
  const root = await mkdtemp(join(tmpdir(), `debstash-bench-curve-${size}-`));
  try {
    const { d, a, aptly, signing } = await syntheticRepoTools(root);
    const add = { debstash: await d.time('repo', 'add', 'syn', ...dirs), aptly: await a('repo', 'add', 'syn', ...dirs) };
    const snapshot = { debstash: await d.time('snapshot', 'create', 'syn1', '--from-repo', 'syn'), aptly: await a('snapshot', 'create', 'syn1', 'from', 'repo', 'syn') };
    const publish = { debstash: await d.time('publish', 'repo', 'syn', '--dist', 'syn'), aptly: await a('publish', 'repo', ...signing, '-skip-contents', 'syn', 'syn') };
    // The one package is added unmeasured: the step is what a small change costs to publish.
    d.run('-q', 'repo', 'add', 'syn', extra);
    aptly('repo', 'add', 'syn', extra);
    const republish = { debstash: await d.time('publish', 'update', 'syn'), aptly: await a('publish', 'update', ...signing, '-skip-contents', 'syn', 'syn') };
    return { 'repo add': add, snapshot, 'full publish': publish, 'republish 1 added': republish };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Least-squares slope of log(value) over log(size): 1 is linear. */
function slope(points: readonly { size: number; value: number }[]): number {
  const xs = points.map((p) => Math.log(p.size));
  // GNU time reports to 0.01 s; a zero would be log(0).
  const ys = points.map((p) => Math.log(Math.max(p.value, 0.01)));
  const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
  const my = ys.reduce((s, y) => s + y, 0) / ys.length;
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  return xs.reduce((s, x, i) => s + (x - mx) * ((ys[i] ?? 0) - my), 0) / sxx;
}

const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');

/**
 * Issue 12 item 7, `npm run bench -- curve`: repo add, snapshot, full publish and the
 * republish after one added package at each size, debstash and aptly in the same run, then the
 * log-log slope of each step's wall time (pairwise and fitted) and its peak RSS. The .debs are
 * written in-process (quickSyntheticDebs) once, for the largest size; a smaller size is the
 * first of its subdirectories, so every size holds the same kind of package.
 */
export async function benchCurve(): Promise<void> {
  if (!haveGnuTime()) throw new Error('bench needs GNU time: apt-get install time');
  const sizes = [...SIZES].sort((x, y) => x - y);
  const debs = await quickSyntheticDebs(sizes[sizes.length - 1] ?? 0);
  const points = new Map<Step, Point[]>(STEPS.map((s) => [s, []]));
  for (const size of sizes) {
    const t0 = performance.now();
    const r = await runSize(size, firstPackages(debs, size), debs.extra);
    for (const step of STEPS) points.get(step)?.push({ size, ...r[step] });
    console.log(`${size} packages measured in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
  }

  const rows: Row[] = STEPS.flatMap((step) => (points.get(step) ?? []).map((p) => ({ step: `${step} @ ${p.size}`, debstash: p.debstash, aptly: p.aptly })));
  console.log(`\nscale curve, local repo of synthetic .debs (sizes ${sizes.join(', ')}):`);
  printTable(rows);

  console.log(`\nlog-log slopes (1 = linear; target <= ${LINEAR}), pairwise between sizes and fitted over all; the verdict is debstash's CPU slope between the two largest sizes,`);
  console.log('where start-up no longer flattens the curve (wall time on a shared machine carries the load of others):');
  const header = ['step', 'wall pairwise', 'cpu pairwise', 'wall fit', 'cpu fit', 'verdict', 'peak RSS MB', 'aptly wall fit', 'aptly cpu fit', 'aptly peak RSS MB'];
  const lines = STEPS.map((step) => {
    const ps = points.get(step) ?? [];
    const of = (tool: 'debstash' | 'aptly', what: 'wallS' | 'cpuS'): { size: number; value: number }[] => ps.map((p) => ({ size: p.size, value: p[tool][what] }));
    const pairs = (series: { size: number; value: number }[]): number[] => series.slice(1).map((p, i) => slope([series[i] ?? p, p]));
    const last = pairs(of('debstash', 'cpuS')).at(-1) ?? NaN;
    const peak = (tool: 'debstash' | 'aptly'): string => Math.max(...ps.map((p) => p[tool].maxRssMB)).toFixed(0);
    return [
      step,
      pairs(of('debstash', 'wallS')).map(fmt).join(', '),
      pairs(of('debstash', 'cpuS')).map(fmt).join(', '),
      fmt(slope(of('debstash', 'wallS'))),
      fmt(slope(of('debstash', 'cpuS'))),
      last <= LINEAR ? 'ok' : `WORSE THAN LINEAR (${fmt(last)})`,
      peak('debstash'),
      fmt(slope(of('aptly', 'wallS'))),
      fmt(slope(of('aptly', 'cpuS'))),
      peak('aptly'),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  for (const l of [header, ...lines]) console.log(l.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  '));
  console.log('(each CLI command as a whole, start-up included; .debs written in-process, see quickSyntheticDebs)');
}
