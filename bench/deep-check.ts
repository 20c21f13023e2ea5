import { link, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hashFile } from '../src/files/hash-file.js';
import { closeContext, openEmbeddedContext } from '../src/model/context.js';
import { measure } from './measure.js';

const bin = fileURLToPath(new URL('../../bin/debstash.js', import.meta.url));
/** The host's own downloaded packages: real .debs, a real size spread. */
const DEBS_DIR = process.env.BENCH_DEEP_DIR ?? '/var/cache/apt/archives';
const RUNS = Number(process.env.BENCH_DEEP_RUNS ?? 3);

/**
 * `db check --deep` against `sha256sum` of the same files: a pool made of hard links to every
 * .deb of BENCH_DEEP_DIR (no copy; same filesystem as the temp dir needed), both read warm from
 * the page cache, alternating, BENCH_DEEP_RUNS times (default 3), the whole processes timed by
 * GNU time. With no publish, --deep reads exactly the pool.
 */
export async function benchDeepCheck(): Promise<void> {
  const names = (await readdir(DEBS_DIR)).filter((n) => n.endsWith('.deb')).sort();
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-deep-'));
  try {
    const dataDir = join(dir, 'data');
    const ctx = await openEmbeddedContext(dataDir);
    const paths: string[] = [];
    let bytes = 0;
    const seen = new Set<string>();
    try {
      for (const name of names) {
        const path = join(DEBS_DIR, name);
        const { sha256, size } = await hashFile(path);
        if (seen.has(sha256)) continue;
        seen.add(sha256);
        const dest = ctx.pool.localPath(sha256) ?? '';
        await mkdir(dirname(dest), { recursive: true });
        await link(path, dest);
        paths.push(path);
        bytes += size;
      }
    } finally {
      await closeContext(ctx);
    }
    console.log(`deep: ${paths.length} files, ${(bytes / 1e9).toFixed(2)} GB from ${DEBS_DIR}; ${RUNS} runs each, alternating`);
    for (let run = 1; run <= RUNS; run++) {
      const deep = await measure(['node', bin, '--data-dir', dataDir, '--json', 'db', 'check', '--deep']);
      const hashed = (JSON.parse(deep.stdout) as { hashedFiles: number }).hashedFiles;
      const sum = await measure(['sha256sum', ...paths]);
      console.log(`run ${run}: db check --deep ${deep.wallS.toFixed(2)} s wall, ${deep.cpuS.toFixed(2)} s CPU, ${deep.maxRssMB.toFixed(0)} MB (${hashed} files); sha256sum ${sum.wallS.toFixed(2)} s wall, ${sum.cpuS.toFixed(2)} s CPU`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
