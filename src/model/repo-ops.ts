import { createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import type { PoolBlob } from '../pool/pool.js';
import { forEachSliced } from '../concurrency/for-each-sliced.js';
import { putBlobs } from '../pool/put-blobs.js';
import { type PackageEntry, packageKey, type PackageSlot, type RepoRecord } from '../store/records.js';
import type { Context } from './context.js';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { packageMatcher } from './package-match.js';
import { dropUnpublished } from './require-publish.js';
import { requireRepo } from './require-set.js';
import { validateName } from './validate-name.js';
import { type DebDescription, describeDeb, once } from '../workers/deb-description.js';
import { DEB_WORKER_MIN_FILES, describeDebsInWorkers } from '../workers/describe-debs-parallel.js';

export async function createRepo(ctx: Context, name: string, comment = ''): Promise<RepoRecord> {
  validateName('repo', name);
  await ctx.store.transaction((tx) => tx.createRepo(name, comment, new Date().toISOString()));
  return requireRepo(ctx, name);
}

export { requireRepo } from './require-set.js';

export interface PackageFile {
  readonly path: string;
  readonly size: number;
}

function* drain<T>(stack: T[]): Iterable<T> {
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) yield item;
}

/**
 * Every .deb/.udeb under the given files and directories (recursively), in a stable order, with
 * its size. Inline stat calls (see forEachSliced): one each through the thread pool, awaited in
 * turn, took a second for 20,000 files.
 */
export async function packageFiles(paths: readonly string[]): Promise<PackageFile[]> {
  const out: PackageFile[] = [];
  const stack = paths.map((path) => ({ path, explicit: true })).reverse();
  await forEachSliced(drain(stack), ({ path, explicit }) => {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `${path}: no such file or directory`, { path });
    if (st.isDirectory()) {
      for (const entry of readdirSync(path).sort().reverse()) stack.push({ path: join(path, entry), explicit: false });
    } else if (explicit || /\.u?deb$/.test(path)) {
      out.push({ path, size: st.size });
    }
  });
  return out;
}

const ADD_CONCURRENCY = 8;
/** Smaller files are read once into memory for both parsing and the pool; larger ones are streamed twice. */
const READ_WHOLE_BYTES = 8 * 1024 * 1024;
/**
 * In-memory files handed to the pool at once: its batch import makes a batch durable with one
 * flush, so larger batches are cheaper, up to what memory should hold.
 */
const BATCH_BYTES = 64 * 1024 * 1024;
const BATCH_FILES = 5000;

/** Consecutive runs of files whose in-memory bytes stay within the batch limits. */
function batches(files: readonly PackageFile[]): PackageFile[][] {
  const out: PackageFile[][] = [];
  let current: PackageFile[] = [];
  let bytes = 0;
  for (const file of files) {
    const inMemory = file.size <= READ_WHOLE_BYTES ? file.size : 0;
    if (current.length > 0 && (bytes + inMemory > BATCH_BYTES || current.length >= BATCH_FILES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(file);
    bytes += inMemory;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The repo's record of a described .deb. */
function entryOf(deb: DebDescription, component: string): PackageEntry {
  const { kind, name, version, architecture, stanza } = deb;
  return { kind, name, version, architecture, component, stanza, files: [{ path: deb.filename, sha256: deb.sha256, size: deb.size }] };
}

/**
 * Reads one .deb for its control data and hashes: from `whole` when it was read into memory
 * (the caller then stores it with the rest of its batch), else streamed, and then streamed
 * into the pool here.
 */
async function readPackageFile(ctx: Context, path: string, whole: Buffer | undefined, component: string): Promise<PackageEntry> {
  const bytes = (): AsyncIterable<Uint8Array> => (whole !== undefined ? once(whole) : createReadStream(path));
  const deb = await describeDeb(bytes(), path);
  if (whole === undefined) await ctx.pool.put(bytes(), { sha256: deb.sha256, size: deb.size });
  return entryOf(deb, component);
}

/**
 * One batch read: its entries in order, and the bytes of the files read whole, for the pool.
 * Many small files are read and parsed in worker threads (decompressing control.tar and hashing
 * were half the main thread's CPU time of adding 20,000 small .debs), the rest here.
 */
async function readBatch(ctx: Context, batch: readonly PackageFile[], component: string): Promise<{ read: PackageEntry[]; blobs: PoolBlob[] }> {
  const read = new Array<PackageEntry>(batch.length);
  const blobs: PoolBlob[] = [];
  const whole = batch.flatMap((file, i) => (file.size <= READ_WHOLE_BYTES ? [i] : []));
  const inWorkers = new Set<number>();
  if (whole.length >= DEB_WORKER_MIN_FILES) {
    const described = await describeDebsInWorkers(whole.map((i) => batch[i].path));
    described.forEach(({ deb, bytes }, k) => {
      read[whole[k]] = entryOf(deb, component);
      blobs.push({ bytes, sha256: deb.sha256 });
      inWorkers.add(whole[k]);
    });
  }
  // Small files inline, as the pool writes them (see forEachSliced).
  const wholes = new Map<number, Buffer>();
  await forEachSliced(whole, (i) => {
    if (!inWorkers.has(i)) wholes.set(i, readFileSync(batch[i].path));
  });
  const here = batch.flatMap((file, i) => (inWorkers.has(i) ? [] : [{ file, i }]));
  await forEachConcurrent(here, ADD_CONCURRENCY, async ({ file, i }) => {
    read[i] = await readPackageFile(ctx, file.path, wholes.get(i), component);
  });
  for (const [i, bytes] of wholes) blobs.push({ bytes, sha256: read[i].files[0].sha256 });
  return { read, blobs };
}

/**
 * Reads and stores every file, batch by batch, reading the next batch (in workers) while this
 * one is stored, so at most two batches are in memory; the entries come back in the order of
 * `files`.
 */
async function storeDebs(ctx: Context, files: readonly PackageFile[], component: string): Promise<PackageEntry[]> {
  const entries: PackageEntry[] = [];
  const list = batches(files);
  let next = list.length > 0 ? readBatch(ctx, list[0], component) : undefined;
  try {
    for (let b = 0; next !== undefined; b++) {
      const { read, blobs } = await next;
      next = b + 1 < list.length ? readBatch(ctx, list[b + 1], component) : undefined;
      await putBlobs(ctx.pool, blobs);
      entries.push(...read);
    }
  } finally {
    // A failure to store leaves the read ahead unawaited: its own failure is not the one to report.
    next?.catch(() => undefined);
  }
  return entries;
}

export interface AddResult {
  readonly added: readonly PackageEntry[];
  /** Already in the repo with the same bytes: nothing to do. */
  readonly unchanged: readonly PackageEntry[];
  readonly replaced: readonly PackageEntry[];
}

const slotKey = (p: PackageSlot): string => `${p.kind} ${p.name} ${p.version} ${p.architecture}`;

/**
 * `repo add`: reads each .deb once for its control data and hashes, stores it in the pool, then
 * adds everything in one transaction, which reads only the repo's packages in the same slots
 * (kind, name, version, architecture) as the new ones: adding one package to a large repo
 * reads and writes a few rows, not the repo. A different file in an occupied slot is refused
 * (clients' hash checks would break) unless `forceReplace`; so is one given twice with
 * different bytes (the last given wins with `forceReplace`).
 */
export async function addToRepo(ctx: Context, name: string, paths: readonly string[], options: { forceReplace?: boolean; component?: string } = {}): Promise<AddResult> {
  await requireRepo(ctx, name);
  const component = options.component ?? 'main';
  const entries = await storeDebs(ctx, await packageFiles(paths), component);
  return ctx.store.transaction(async (tx) => {
    const bySlot = new Map<string, { entry: PackageEntry; stored: boolean }>();
    for (const p of await tx.repoPackagesLike(name, entries)) bySlot.set(slotKey(p), { entry: p, stored: true });
    const added = new Map<string, PackageEntry>();
    const unchanged: PackageEntry[] = [];
    const replaced: PackageEntry[] = [];
    for (const e of entries) {
      const same = bySlot.get(slotKey(e));
      if (same !== undefined && packageKey(same.entry) === packageKey(e)) {
        unchanged.push(e);
        continue;
      }
      if (same !== undefined) {
        if (!options.forceReplace) {
          const where = same.stored ? `is already in repo "${name}"` : 'is given twice';
          throw new DebstashError('DEBSTASH_E_PACKAGE_CONFLICT', `${e.name}_${e.version}_${e.architecture} ${where} with other bytes (SHA-256 ${same.entry.files[0]?.sha256})`, {
            package: `${e.name}_${e.version}_${e.architecture}`,
          });
        }
        if (same.stored) replaced.push(same.entry);
      }
      bySlot.set(slotKey(e), { entry: e, stored: false });
      added.set(slotKey(e), e);
    }
    if (replaced.length > 0) await tx.removeRepoPackages(name, replaced);
    await tx.addRepoPackages(name, [...added.values()]);
    return { added: [...added.values()], unchanged, replaced };
  });
}

/** `repo remove NAME QUERY`: removes the matching packages (as the transaction sees them); returns them. */
export async function removeFromRepo(ctx: Context, name: string, query: string): Promise<PackageEntry[]> {
  const matches = packageMatcher(query);
  return ctx.store.transaction(async (tx) => {
    const gone = (await tx.repoPackages(name)).filter(matches);
    await tx.removeRepoPackages(name, gone);
    return gone;
  });
}

/** Drops a repo unless a publish shows it (see dropUnpublished). */
export async function dropRepo(ctx: Context, name: string): Promise<void> {
  await dropUnpublished(ctx, { kind: 'repo', name });
}
