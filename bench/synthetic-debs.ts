import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';
import { gzipSync } from 'node:zlib';
import { makeAr } from '../test/helpers/make-ar.js';
import { makeTar } from '../test/helpers/make-tar.js';
import { syntheticPackage } from '../test/publish/synthetic-repo.js';

const run = promisify(execFile);
/** Packages per directory, so that no directory holds 20,000 entries. */
const PER_DIR = 500;

export interface SyntheticDebs {
  /** Directory holding the N packages (in subdirectories). */
  readonly dir: string;
  /** One more package, not in `dir`: the "add one and republish" step. */
  readonly extra: string;
  readonly count: number;
}

/** The control file of synthetic package `i`: the Packages paragraph minus what the archive adds. */
function controlOf(i: number): { name: string; control: string } {
  const p = syntheticPackage(i);
  const control = p.fields
    .split('\n')
    .filter((line) => !/^(MD5sum|SHA1):/.test(line))
    .join('\n');
  return { name: p.name, control };
}

/**
 * The packages 0..count-1 (and `count` as the extra one) made by `build` into a cache under
 * `~/.cache/debstash-bench/TAG-COUNT/` (or $DEBSTASH_BENCH_CACHE), PER_DIR to a subdirectory,
 * and reused while the `complete` marker is there.
 */
async function cachedDebs(tag: string, count: number, log: (line: string) => void, concurrency: number, build: (i: number, outDir: string) => Promise<void>): Promise<SyntheticDebs> {
  const base = join(process.env.DEBSTASH_BENCH_CACHE ?? join(homedir(), '.cache', 'debstash-bench'), `${tag}-${count}`);
  const result = { dir: join(base, 'debs'), extra: join(base, 'extra'), count };
  const marker = join(base, 'complete');
  if (existsSync(marker) && (await readFile(marker, 'utf8')).trim() === String(count)) return result;
  log(`building ${count} ${tag} .debs in ${base} (once)...`);
  const t0 = performance.now();
  await rm(base, { recursive: true, force: true });
  for (let d = 0; d * PER_DIR < count; d++) await mkdir(join(result.dir, subdirName(d)), { recursive: true });
  await mkdir(result.extra, { recursive: true });
  let done = 0;
  await forEachConcurrent(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      await build(i, join(result.dir, subdirName(Math.floor(i / PER_DIR))));
      if (++done % 2000 === 0) log(`  ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    },
  );
  await build(count, result.extra);
  await writeFile(marker, `${count}\n`);
  log(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return result;
}

const subdirName = (d: number): string => String(d).padStart(3, '0');

/** The subdirectories of `debs` that hold its first `n` packages (n a multiple of PER_DIR). */
export function firstPackages(debs: SyntheticDebs, n: number): string[] {
  if (n % PER_DIR !== 0 || n > debs.count) throw new Error(`sizes must be multiples of ${PER_DIR} up to ${debs.count}, not ${n}`);
  return Array.from({ length: n / PER_DIR }, (_, d) => join(debs.dir, subdirName(d)));
}

/**
 * `count` small real .debs (one README and one script each, control fields shaped like
 * Debian's) built by `dpkg-deb`, one builder per core, cached (see cachedDebs): building 20,000
 * takes minutes.
 */
export async function syntheticDebs(count: number, log: (line: string) => void = console.log): Promise<SyntheticDebs> {
  const base = join(process.env.DEBSTASH_BENCH_CACHE ?? join(homedir(), '.cache', 'debstash-bench'), `dpkg-build-${count}`);
  const workers = availableParallelism();
  const free = await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const root = join(base, String(w));
      await mkdir(join(root, 'DEBIAN'), { recursive: true, mode: 0o755 });
      return root;
    }),
  );
  const build = async (i: number, outDir: string): Promise<void> => {
    const root = free.pop() as string;
    try {
      const { name, control } = controlOf(i);
      await rm(join(root, 'usr'), { recursive: true, force: true });
      await mkdir(join(root, 'usr/share/doc', name), { recursive: true, mode: 0o755 });
      await mkdir(join(root, 'usr/bin'), { recursive: true, mode: 0o755 });
      await writeFile(join(root, 'DEBIAN/control'), `${control.trimEnd()}\n`);
      await writeFile(join(root, 'usr/share/doc', name, 'README'), readme(name));
      await writeFile(join(root, 'usr/bin', name), script(name), { mode: 0o755 });
      await run('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', root, join(outDir, `${name}.deb`)], { env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
    } finally {
      free.push(root);
    }
  };
  try {
    return await cachedDebs('synthetic', count, log, workers, build);
  } finally {
    await rm(base, { recursive: true, force: true });
  }
}

const readme = (name: string): string => `${name}: a synthetic package for benchmarks.\n`;
const script = (name: string): string => `#!/bin/sh\necho ${name}\n`;

/** A .deb with the files syntheticDebs' have, written in-process: ar, then control and data as gzipped ustar. */
export function quickDeb(i: number): { name: string; bytes: Buffer } {
  const { name, control } = controlOf(i);
  const dirs = ['./', './usr/', './usr/bin/', './usr/share/', './usr/share/doc/', `./usr/share/doc/${name}/`].map((d) => ({ name: d, typeflag: '5' }));
  const data = makeTar([...dirs, { name: `./usr/share/doc/${name}/README`, data: readme(name) }, { name: `./usr/bin/${name}`, data: script(name) }]);
  const bytes = makeAr([
    { name: 'debian-binary', data: '2.0\n' },
    { name: 'control.tar.gz', data: gzipSync(makeTar([{ name: './control', data: `${control.trimEnd()}\n` }])) },
    { name: 'data.tar.gz', data: gzipSync(data) },
  ]);
  return { name, bytes };
}

/**
 * The same packages as syntheticDebs, written in-process instead of by dpkg-deb (about a
 * thousand times cheaper: 60,000 in well under a minute rather than the better part of an
 * hour on two cores). The archives are what dpkg-deb makes in layout (ar of debian-binary,
 * control.tar.gz, data.tar.gz), without file modes or dates, which neither debstash nor aptly
 * reads. For the scale curve, where the build would otherwise dominate.
 */
export async function quickSyntheticDebs(count: number, log: (line: string) => void = console.log): Promise<SyntheticDebs> {
  return cachedDebs('quick', count, log, 4, async (i, outDir) => {
    const { name, bytes } = quickDeb(i);
    await writeFile(join(outDir, `${name}.deb`), bytes);
  });
}
