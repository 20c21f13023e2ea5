import { DebstashError } from '../errors/debstash-error.js';
import type { RepoRecord, SnapshotRecord } from '../store/records.js';
import type { Context } from './context.js';

/*
 * Lookups of a repo or snapshot that must exist, in a module of their own: publishing needs
 * them, and importing them from repo-ops or snapshot-ops would load the .deb reader, the
 * resolver and their native modules into every publish (CLI start-up, issue 12).
 */

export async function requireRepo(ctx: Context, name: string): Promise<RepoRecord> {
  const repo = await ctx.store.getRepo(name);
  if (repo === undefined) throw new DebstashError('DEBSTASH_E_REPO_NOT_FOUND', `no repo named "${name}"`, { repo: name });
  return repo;
}

export async function requireSnapshot(ctx: Context, name: string): Promise<SnapshotRecord> {
  const s = await ctx.store.getSnapshot(name);
  if (s === undefined) throw new DebstashError('DEBSTASH_E_SNAPSHOT_NOT_FOUND', `no snapshot named "${name}"`, { snapshot: name });
  return s;
}
