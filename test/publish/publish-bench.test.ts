/**
 * Measures publishing a synthetic repository of 20,000 packages (a ~13 MB Packages, shaped
 * like the one of the 20,000 small .debs): full publish, then one package added,
 * removed, replaced, and an unchanged republish. Skipped unless DEBSTASH_PUBLISH_BENCH=1
 * (it takes a minute and the figures depend on the machine); DEBSTASH_PUBLISH_BENCH_PRESETS
 * (e.g. "1,3,6") measures the full publish at several xz presets. Figures go to stdout as a
 * table; docs/publish.md has the ones measured on the reference machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { publishTree, type PublishTreeResult } from '../../src/publish/publish-tree.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { makeTestSigner } from '../helpers/test-signer.js';
import { DirPool, entryOf, syntheticPackage } from './synthetic-repo.js';

const enabled = process.env.DEBSTASH_PUBLISH_BENCH === '1';
const COUNT = Number(process.env.DEBSTASH_PUBLISH_BENCH_COUNT ?? 20_000);

test(`publish ${COUNT} packages, then one more`, { skip: enabled ? false : 'set DEBSTASH_PUBLISH_BENCH=1 to measure' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-publish-bench-'));
  try {
    const pkgs = Array.from({ length: COUNT + 2 }, (_, i) => syntheticPackage(i));
    const pool = await DirPool.create(join(dir, 'pool'), pkgs);
    const signer = await makeTestSigner(join(dir, 'keys'));
    const store = SqliteStore.open(join(dir, 'debstash.sqlite'));
    const entries = pkgs.slice(0, COUNT).map((p) => entryOf(p));
    const rows: string[] = [];
    const measure = async (label: string, prefix: string, packages: typeof entries, xzPreset?: number): Promise<PublishTreeResult> => {
      const cpu = process.cpuUsage();
      const t = performance.now();
      const r = await publishTree({
        root: join(dir, 'public'),
        prefix,
        dist: 'bench',
        components: [{ name: 'main', packages }],
        architectures: ['amd64'],
        meta: { origin: 'bench' },
        signer,
        pool,
        store,
        xzPreset,
      });
      const wall = performance.now() - t;
      const used = process.cpuUsage(cpu);
      const i = r.indexes[0];
      const t2 = r.timings;
      const { stat } = await import('node:fs/promises');
      const index = join(dir, 'public', prefix, 'dists/bench/main/binary-amd64/Packages');
      const [gz, xz] = await Promise.all([stat(`${index}.gz`), stat(`${index}.xz`)]);
      rows.push(
        [
          label.padEnd(26),
          `${(wall / 1000).toFixed(2)} s`.padStart(8),
          `${((used.user + used.system) / 1e6).toFixed(2)} s`.padStart(8),
          `${i.compressedChunks}/${i.chunks}`.padStart(7),
          `${(gz.size / 1e6).toFixed(2)} MB`.padStart(8),
          `${(xz.size / 1e6).toFixed(2)} MB`.padStart(8),
          `plan ${t2.planMs.toFixed(0)} build ${t2.buildMs.toFixed(0)} sign ${t2.signMs.toFixed(0)} write ${t2.writeMs.toFixed(0)} commit ${t2.commitMs.toFixed(0)} clean ${t2.cleanupMs.toFixed(0)}`,
        ].join('  '),
      );
      return r;
    };
    const full = await measure('full publish', 'p', entries);
    await measure('+1 package', 'p', [...entries, entryOf(pkgs[COUNT])]);
    await measure('-1 package', 'p', entries.slice(1));
    const swapped = entries.slice();
    swapped[COUNT >> 1] = entryOf(pkgs[COUNT + 1]);
    await measure('1 package replaced', 'p', swapped);
    await measure('unchanged', 'p', swapped);
    for (const preset of (process.env.DEBSTASH_PUBLISH_BENCH_PRESETS ?? '').split(',').filter((x) => x !== '')) {
      await measure(`full publish, xz -${preset}`, `preset${preset}`, entries, Number(preset));
      await measure(`+1 package, xz -${preset}`, `preset${preset}`, [...entries, entryOf(pkgs[COUNT])], Number(preset));
    }
    const { stat } = await import('node:fs/promises');
    const files = ['Packages', 'Packages.gz', 'Packages.xz'].map((n) => join(dir, 'public/p/dists/bench/main/binary-amd64', n));
    const sizes = await Promise.all(files.map(async (p) => (await stat(p)).size));
    process.stdout.write(
      `\n${COUNT} packages, ${availableParallelism()} cores; Packages ${sizes[0]} B, .gz ${sizes[1]} B, .xz ${sizes[2]} B\n` +
        `${'step'.padEnd(26)}  ${'wall'.padStart(8)}  ${'cpu'.padStart(8)}  ${'chunks'.padStart(7)}  ${'.gz'.padStart(8)}  ${'.xz'.padStart(8)}  ms\n${rows.join('\n')}\n` +
        `(first publish placed ${full.pool.placed} pool paths)\n`,
    );
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
