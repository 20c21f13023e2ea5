import { createHash } from 'node:crypto';
import { DebstashError } from '../errors/debstash-error.js';
import { packageKey, type PackageEntry } from './records.js';
import type { Store, StoreReader } from './store.js';

/** What `db migrate` did. */
export interface CopyResult {
  /** False when the target held this same store already (a second run). */
  readonly copied: boolean;
  readonly mirrors: number;
  readonly repos: number;
  readonly snapshots: number;
  readonly publishes: number;
  readonly tokens: number;
  readonly poolViewFiles: number;
  /** SHA-256 of the contents both stores hold (see contentsDigest). */
  readonly digest: string;
}

const digestOf = (packages: readonly PackageEntry[]): string => {
  const h = createHash('sha256');
  for (const k of packages.map((p) => `${packageKey(p)} ${p.component} ${createHash('sha256').update(p.stanza).digest('hex')}`).sort()) h.update(`${k}\n`);
  return h.digest('hex');
};

/**
 * One SHA-256 over everything a store holds that `db migrate` copies: every mirror, repo,
 * snapshot (their records and the identity, component and stanza of every package), publish,
 * token and published pool path. Two stores with one digest hold the same contents. Locks and
 * tasks belong to running processes and are not part of it.
 */
export async function contentsDigest(store: StoreReader): Promise<{ digest: string; empty: boolean; counts: Omit<CopyResult, 'copied' | 'digest'> }> {
  const h = createHash('sha256');
  const put = (v: unknown): void => void h.update(`${JSON.stringify(v)}\n`);
  const mirrors = await store.listMirrors();
  for (const m of mirrors) put([m, digestOf(await store.mirrorPackages(m.name)), await store.mirrorUnresolved(m.name)]);
  const repos = await store.listRepos();
  for (const r of repos) put([r, digestOf(await store.repoPackages(r.name))]);
  const snapshots = await store.listSnapshots();
  for (const s of snapshots) put([s, digestOf(await store.snapshotPackages(s.name))]);
  const publishes = await store.listPublishes();
  let poolViewFiles = 0;
  for (const p of publishes) put(p);
  for (const prefix of new Set(publishes.map((p) => p.prefix))) {
    const view = await store.poolView(prefix);
    poolViewFiles += view.length;
    put([prefix, view]);
  }
  const tokens = await store.listTokens();
  put(tokens);
  const counts = { mirrors: mirrors.length, repos: repos.length, snapshots: snapshots.length, publishes: publishes.length, tokens: tokens.length, poolViewFiles };
  return { digest: h.digest('hex'), empty: mirrors.length + repos.length + snapshots.length + publishes.length + tokens.length === 0, counts };
}

/**
 * Copies everything of `source` into `target` in one transaction of the target, then checks
 * inside it that the target's digest is the source's (else nothing is committed). Idempotent:
 * a target that holds the same contents already is left alone; one that holds anything else
 * is refused (DEBSTASH_E_MIGRATE_TARGET), never merged into. `source` must not change meanwhile
 * (the CLI runs this on a store no server is writing to).
 */
export async function copyStore(source: Store, target: Store): Promise<CopyResult> {
  const want = await contentsDigest(source);
  return target.transaction(async (tx) => {
    const have = await contentsDigest(tx);
    if (have.digest === want.digest) return { copied: false, digest: want.digest, ...want.counts };
    if (!have.empty) {
      throw new DebstashError('DEBSTASH_E_MIGRATE_TARGET', `${target.location} holds another debstash store (${have.counts.mirrors} mirrors, ${have.counts.repos} repos, ${have.counts.snapshots} snapshots, ${have.counts.publishes} publishes)`, {
        target: target.location,
        ...have.counts,
      });
    }
    for (const m of await source.listMirrors()) {
      await tx.createMirror(m.name, m.config, m.createdAt);
      if (m.sync !== undefined && m.updatedAt !== undefined) {
        await tx.replaceMirrorContents(m.name, { packages: await source.mirrorPackages(m.name), unresolved: await source.mirrorUnresolved(m.name), sync: m.sync, updatedAt: m.updatedAt });
      }
    }
    for (const r of await source.listRepos()) {
      await tx.createRepo(r.name, r.comment, r.createdAt);
      await tx.addRepoPackages(r.name, await source.repoPackages(r.name));
    }
    for (const s of await source.listSnapshots()) await tx.createSnapshot(s.name, s.description, s.origins, await source.snapshotPackages(s.name), s.createdAt);
    const publishes = await source.listPublishes();
    for (const p of publishes) await tx.savePublish(p);
    for (const prefix of new Set(publishes.map((p) => p.prefix))) await tx.putPoolView(prefix, await source.poolView(prefix));
    for (const t of await source.listTokens()) await tx.createToken(t);
    const done = await contentsDigest(tx);
    if (done.digest !== want.digest) {
      throw new DebstashError('DEBSTASH_E_STORE', `the copy in ${target.location} does not match the source (digest ${done.digest} against ${want.digest}); nothing was committed`, {
        target: target.location,
      });
    }
    return { copied: true, digest: want.digest, ...want.counts };
  });
}
