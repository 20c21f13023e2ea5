import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { releaseCopyDir, RELEASE_FILES } from '../publish/generation-releases.js';
import { splitClearsigned } from '../deb/clearsigned.js';
import { EMPTY_STATE, parseState, reconcile, stateDirOf, type Generation, type PublishState } from '../publish/publish-state.js';
import { generationAt, parseSnapshotId, snapshotId } from '../publish/snapshot-id.js';
import { isErrno } from '../publish/tree-files.js';
import type { Exchange } from './exchange.js';
import { text } from './plain-answer.js';
import type { StaticTree } from './static-tree.js';

/**
 * Where time travel reads a publish's files: the data dir's `public/` (treeFiles), or the
 * bucket when the trees are the bucket's (BucketTreeRoute), so that every replica answers alike.
 */
export interface SnapshotFiles {
  /** The bytes at `relative` (a publisher's state, an InRelease); undefined when there are none. */
  read(relative: string): Promise<Buffer | undefined>;
  /** Answers a request with the file at `relative`. */
  serve(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> | undefined;
  /** Answers for a read that threw. */
  answerUnreadable(res: ServerResponse, ex: Exchange, relative: string, err: unknown): void;
}

/** Answers a pool path of a prefix; resolves false (nothing sent) when the prefix's pool view lacks it. */
export type ServePool = (req: IncomingMessage, res: ServerResponse, where: { readonly prefix: string; readonly path: string }, relative: string, ex: Exchange) => Promise<boolean>;

/** The files of a tree on disk at `root`, served by `tree`. */
export function treeFiles(root: string, tree: StaticTree): SnapshotFiles {
  return {
    read: (relative) => readFile(join(root, relative)).catch((err: unknown) => (isErrno(err, 'ENOENT', 'ENOTDIR') ? undefined : Promise.reject(err))),
    serve: (req, res, relative, ex) => tree.serve(req, res, relative, ex),
    answerUnreadable: (res, ex, relative, err) => tree.answerUnreadable(res, ex, relative, err),
  };
}

/** `snapshots/ID/REST` of a tree path, or undefined for any other path. */
export function splitSnapshotPath(relative: string): { readonly id: string; readonly rest: string } | undefined {
  const m = /^snapshots\/([^/]+)(?:\/(.*))?$/.exec(relative);
  return m === null ? undefined : { id: m[1] ?? '', rest: m[2] ?? '' };
}

/** What a path under `/snapshots/ID/` asks for; pure. */
export type SnapshotTarget =
  | { readonly kind: 'dists'; readonly prefix: string; readonly dist: string; readonly file: string }
  | { readonly kind: 'pool'; readonly prefix: string; readonly path: string }
  | { readonly kind: 'none' };

/** Prefix segments are never `dists` or `pool` (publish-names.ts): the first such segment ends the prefix. */
export function snapshotTarget(rest: string): SnapshotTarget {
  const segments = rest.split('/').filter((s) => s !== '');
  const at = segments.findIndex((s) => s === 'dists' || s === 'pool');
  if (at < 0) return { kind: 'none' };
  const prefix = segments.slice(0, at).join('/');
  if (segments[at] === 'pool') return { kind: 'pool', prefix, path: segments.slice(at).join('/') };
  const dist = segments[at + 1];
  const file = segments.slice(at + 2).join('/');
  return dist === undefined || file === '' ? { kind: 'none' } : { kind: 'dists', prefix, dist, file };
}

const BY_HASH = /^(?:(.+)\/)?by-hash\/(SHA256|SHA512)\/([0-9a-f]{64}|[0-9a-f]{128})$/;

function dirOf(path: string): string {
  const at = path.lastIndexOf('/');
  return at < 0 ? '.' : path.slice(0, at);
}

/**
 * Which file of the tree (relative to `dists/DIST/`) answers `file` for generation `g`: its
 * signed Release files from the copies kept with it, an index by its by-hash name (apt's way),
 * a plainly named index through the by-hash file its Release lists. Undefined: `g` has no such
 * file. Pure.
 */
export function generationFile(g: Generation, file: string): { readonly path: string; readonly fallback?: string } | undefined {
  if ((RELEASE_FILES as readonly string[]).includes(file)) return { path: `${releaseCopyDir(g.releaseSha256)}/${file}`, fallback: file };
  const byHash = BY_HASH.exec(file);
  if (byHash !== null) {
    const dir = byHash[1] ?? '.';
    const algorithm = byHash[2] === 'SHA256' ? 'sha256' : 'sha512';
    const listed = Object.entries(g.files).some(([path, f]) => dirOf(path) === dir && f[algorithm] === byHash[3]);
    return listed ? { path: file } : undefined;
  }
  // An own property only: a path such as `__proto__` names no file.
  const entry = Object.hasOwn(g.files, file) ? g.files[file] : undefined;
  if (entry === undefined) return undefined;
  const dir = dirOf(file);
  return { path: `${dir === '.' ? '' : `${dir}/`}by-hash/SHA256/${entry.sha256}` };
}

/**
 * `/snapshots/ID/PREFIX/...`: apt's time travel (the `Snapshots:` field of every Release, see
 * snapshots-template.ts) over the generations a publish keeps. `dists/DIST/...` is answered as
 * the generation served at ID was (the last published at or before it): its own signed
 * InRelease, Release and Release.gpg, and the indexes they list, from the by-hash files
 * retention keeps with the generation. `pool/...` is the prefix's pool view, which keeps every
 * path a kept generation names. An ID in the future is the current generation; one before the
 * oldest kept generation a 404 coded DEBSTASH_E_SNAPSHOT_TOO_OLD; a malformed one a 400
 * coded DEBSTASH_E_SNAPSHOT_ID.
 */
export class SnapshotRoute {
  constructor(
    private readonly files: SnapshotFiles,
    private readonly pool: ServePool,
  ) {}

  async serve(req: IncomingMessage, res: ServerResponse, where: { readonly id: string; readonly rest: string }, ex: Exchange): Promise<void> {
    const at = parseSnapshotId(where.id);
    if (at === undefined) {
      const shown = where.id.length > 40 ? `${where.id.slice(0, 40)}…` : where.id;
      return refuse(res, ex, 400, 'Bad Request (DEBSTASH_E_SNAPSHOT_ID)', 'DEBSTASH_E_SNAPSHOT_ID', `${JSON.stringify(shown)} is not a snapshot ID: give a UTC time as YYYYMMDDTHHMMSSZ, e.g. ${snapshotId(new Date())}`);
    }
    const target = snapshotTarget(where.rest);
    if (target.kind === 'none') return text(res, ex, 404, 'not found\n');
    const prefixPart = target.prefix === '' ? '' : `${target.prefix}/`;
    if (target.kind === 'pool') {
      const relative = `${prefixPart}${target.path}`;
      if (!(await this.pool(req, res, { prefix: target.prefix, path: target.path }, relative, ex))) text(res, ex, 404, 'not found\n');
      return;
    }
    const distRelative = `${prefixPart}dists/${target.dist}`;
    const stateFile = join(stateDirOf(distRelative), 'state.json');
    let generations: readonly Generation[];
    try {
      const stateText = await this.files.read(stateFile);
      const state = stateText === undefined ? EMPTY_STATE : parseState(stateText.toString('utf8')).state;
      generations = await servedGenerations(state, () => this.files.read(`${distRelative}/InRelease`));
    } catch (err) {
      return this.files.answerUnreadable(res, ex, stateFile, err);
    }
    const oldest = generations[0];
    if (oldest === undefined) return text(res, ex, 404, 'not found\n');
    const g = generationAt(generations, at);
    if (g === undefined) {
      const what = `${target.prefix || '/'} ${target.dist}`;
      const first = snapshotId(new Date(oldest.date));
      return refuse(res, ex, 404, `Not Found (DEBSTASH_E_SNAPSHOT_TOO_OLD, oldest ${first})`, 'DEBSTASH_E_SNAPSHOT_TOO_OLD', `${what} has no snapshot at or before ${where.id}: the oldest it keeps is ${first}`);
    }
    const file = generationFile(g, target.file);
    if (file === undefined) return text(res, ex, 404, 'not found\n');
    let path = `${distRelative}/${file.path}`;
    // A generation published before its Release files were kept: the current one is served as it is.
    if (file.fallback !== undefined && g === generations.at(-1)) {
      try {
        if ((await this.files.read(path)) === undefined) path = `${distRelative}/${file.fallback}`;
      } catch (err) {
        return this.files.answerUnreadable(res, ex, path, err);
      }
    }
    await this.files.serve(req, res, path, ex);
  }
}

/**
 * The generations of the state, with the one a publish in progress has just switched to
 * (its InRelease is served, the state does not say so yet). Only while a publish runs is the
 * served InRelease read for that.
 */
async function servedGenerations(state: PublishState, inRelease: () => Promise<Buffer | undefined>): Promise<readonly Generation[]> {
  if (state.pending === null || state.pending.date === '') return state.generations;
  let served: string;
  try {
    const bytes = await inRelease();
    if (bytes === undefined) return state.generations;
    served = `${Buffer.from(splitClearsigned(bytes).signed).toString('utf8')}\n`;
  } catch {
    return state.generations;
  }
  return reconcile(state, served).generations;
}

/** A coded refusal; the reason phrase carries the code too, since apt shows that and not the body. */
function refuse(res: ServerResponse, ex: Exchange, status: number, reason: string, code: string, why: string): void {
  res.statusMessage = reason;
  text(res, ex, status, `${code}: ${why}\n`);
}
