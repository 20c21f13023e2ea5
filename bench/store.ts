/**
 * `npm run bench -- store`: the metadata store's heavy operations on 20,000 synthetic packages,
 * SQLite beside PostgreSQL (a local server started for the run, as the tests start one):
 * a mirror commit (replaceMirrorContents), a snapshot of it (createSnapshotOfOrigins), the
 * read of a publish (packagesToPublish, stanzas touched) and a listing (snapshotPackages,
 * sorted in dpkg order). Median of 3 runs each, every run on a fresh store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDatabaseUrl } from '../src/store/database-url.js';
import { PostgresStore } from '../src/store/postgres/postgres-store.js';
import type { PackageEntry } from '../src/store/records.js';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { postgresMissing, startPostgres } from '../test/helpers/postgres-server.js';

const PACKAGES = 20_000;
const RUNS = 3;

function syntheticPackages(n: number): PackageEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `pkg-${(i % 7919).toString(36)}-${Math.floor(i / 7919)}`;
    const version = `1.${i % 13}.${i}-1`;
    const sha256 = (i.toString(16).padStart(8, '0') + 'ab'.repeat(28)).slice(0, 64);
    const filename = `pool/main/p/${name}/${name}_${version}_amd64.deb`;
    // A stanza of the size real Packages entries have (~700 bytes).
    const stanza = `Package: ${name}\nVersion: ${version}\nArchitecture: amd64\nMaintainer: Bench <bench@example.org>\nInstalled-Size: ${i % 5000}\nDepends: libc6 (>= 2.36), libfoo${i % 50}\nFilename: ${filename}\nSize: ${1000 + i}\nSHA256: ${sha256}\nSection: misc\nPriority: optional\nDescription: synthetic package ${i}\n ${'x'.repeat(420)}\n`;
    return { kind: 'deb', name, version, architecture: 'amd64', component: 'main', stanza, files: [{ path: filename, sha256, size: 1000 + i }] };
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function measure(open: (run: number) => Promise<Store>, packages: PackageEntry[]): Promise<Record<string, number>> {
  const results: Record<string, number[]> = { 'mirror commit': [], snapshot: [], 'publish read': [], listing: [] };
  const sync = { releaseSha256: '0'.repeat(64) };
  for (let run = 0; run < RUNS; run++) {
    const store = await open(run);
    try {
      await store.transaction((tx) => tx.createMirror('m', { url: 'file:///x', dist: 'd', components: ['main'], architectures: ['amd64'], withDeps: false, withRecommends: false, withSources: false, withUdebs: false, keyrings: [], depsFrom: [] }, 't'));
      results['mirror commit']?.push(await time(() => store.transaction((tx) => tx.replaceMirrorContents('m', { packages, unresolved: [], sync, updatedAt: 't' }))));
      results.snapshot?.push(await time(() => store.transaction((tx) => tx.createSnapshotOfOrigins('s', '', [{ kind: 'mirror', name: 'm' }], 't'))));
      results['publish read']?.push(
        await time(async () => {
          let bytes = 0;
          for (const p of await store.packagesToPublish({ kind: 'snapshot', name: 's' })) bytes += p.stanza.length;
          return bytes;
        }),
      );
      results.listing?.push(await time(() => store.snapshotPackages('s')));
    } finally {
      await store.close();
    }
  }
  return Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Math.round(median(v))]));
}

export async function benchStore(): Promise<void> {
  const packages = syntheticPackages(PACKAGES);
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-store-'));
  try {
    const rows: Record<string, Record<string, number>> = {};
    rows.sqlite = await measure(async (run) => SqliteStore.open(join(dir, `s${run}`, 'debstash.sqlite')), packages);
    const missing = postgresMissing();
    if (missing === undefined) {
      const server = await startPostgres();
      try {
        rows.postgres = await measure(async (run) => PostgresStore.open(parseDatabaseUrl(await server.createDatabase(`bench${run}`), 'bench')), packages);
      } finally {
        await server.stop();
      }
    } else console.log(`postgres skipped: ${missing}`);
    console.log(`\nstore, ${PACKAGES} synthetic packages, median of ${RUNS} (ms):`);
    const ops = Object.keys(rows.sqlite ?? {});
    console.log(['backend', ...ops].join(' | '));
    for (const [backend, r] of Object.entries(rows)) console.log([backend, ...ops.map((o) => String(r[o]))].join(' | '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
