import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { forEachConcurrent } from '../src/concurrency/for-each-concurrent.js';
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
 * `count` small real .debs (one README and one script each, control fields shaped like
 * Debian's) built by `dpkg-deb`, one builder per core, kept under
 * `~/.cache/debstash-bench/synthetic-COUNT/` (or $DEBSTASH_BENCH_CACHE) and reused while the
 * `complete` marker is there: building 20,000 takes minutes.
 */
export async function syntheticDebs(count: number, log: (line: string) => void = console.log): Promise<SyntheticDebs> {
  const base = join(process.env.DEBSTASH_BENCH_CACHE ?? join(homedir(), '.cache', 'debstash-bench'), `synthetic-${count}`);
  const result = { dir: join(base, 'debs'), extra: join(base, 'extra'), count };
  const marker = join(base, 'complete');
  if (existsSync(marker) && (await readFile(marker, 'utf8')).trim() === String(count)) return result;
  log(`building ${count} synthetic .debs with dpkg-deb in ${base} (once)...`);
  const t0 = performance.now();
  await rm(base, { recursive: true, force: true });
  const workers = availableParallelism();
  const roots = await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const root = join(base, 'build', String(w));
      await mkdir(join(root, 'DEBIAN'), { recursive: true, mode: 0o755 });
      return root;
    }),
  );
  const free = [...roots];
  const build = async (i: number, outDir: string): Promise<void> => {
    const root = free.pop() as string;
    try {
      const { name, control } = controlOf(i);
      await rm(join(root, 'usr'), { recursive: true, force: true });
      await mkdir(join(root, 'usr/share/doc', name), { recursive: true, mode: 0o755 });
      await mkdir(join(root, 'usr/bin'), { recursive: true, mode: 0o755 });
      await writeFile(join(root, 'DEBIAN/control'), `${control.trimEnd()}\n`);
      await writeFile(join(root, 'usr/share/doc', name, 'README'), `${name}: a synthetic package for benchmarks.\n`);
      await writeFile(join(root, 'usr/bin', name), `#!/bin/sh\necho ${name}\n`, { mode: 0o755 });
      await run('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', root, join(outDir, `${name}.deb`)], { env: { ...process.env, SOURCE_DATE_EPOCH: '0' } });
    } finally {
      free.push(root);
    }
  };
  for (let d = 0; d * PER_DIR < count; d++) await mkdir(join(result.dir, String(d).padStart(3, '0')), { recursive: true });
  await mkdir(result.extra, { recursive: true });
  let done = 0;
  await forEachConcurrent(
    Array.from({ length: count }, (_, i) => i),
    workers,
    async (i) => {
      await build(i, join(result.dir, String(Math.floor(i / PER_DIR)).padStart(3, '0')));
      if (++done % 2000 === 0) log(`  ${done}/${count} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    },
  );
  await build(count, result.extra);
  await rm(join(base, 'build'), { recursive: true, force: true });
  await writeFile(marker, `${count}\n`);
  log(`built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  return result;
}
