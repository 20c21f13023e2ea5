import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FetchedObject, PublicObjects } from '../pool/bucket-objects.js';
import type { StoreReader } from '../store/store.js';
import { byHashDigest } from './by-hash-guard.js';
import { isImmutable } from './content-type.js';
import type { Exchange } from './exchange.js';
import type { FileCacheOptions } from './file-cache.js';
import { type FileRepresentation, representPoolFile } from './file-representation.js';
import { text } from './plain-answer.js';
import { answerFile } from './serve-file.js';
import { answerTreeDamaged, type DamageReporting } from './tree-damaged.js';

/** How long a Release, InRelease or plain index name is answered from memory before the bucket is asked again (with its ETag). */
export const BUCKET_RECHECK_MS = 1000;
/** How long a presigned URL of a redirect stays valid. */
const PRESIGN_SECONDS = 300;

interface Entry {
  readonly rep: FileRepresentation;
  readonly body: Buffer;
  /** The bucket's ETag, to ask whether the object changed. */
  readonly etag: string;
  checkedAt: number;
}

/**
 * Answers `PREFIX/dists/...` from the published trees in the bucket (S3 storage), so that every
 * replica serves every publish whatever its own data dir holds (see BucketTree).
 *
 * - Objects are read whole and checked before a byte is sent: a by-hash object against its
 *   name, any other against the SHA-256 its upload stored with it. One that does not match is
 *   a 500 coded DEBSTASH_E_TREE_DAMAGED (tree-damaged.ts), never a 200 of bad bytes; a missing
 *   object is a 404; an endpoint that does not answer a 503.
 * - by-hash objects never change under their name and are kept in memory (the file cache's
 *   budget and size bound); Release, InRelease and the plain names are asked again after
 *   BUCKET_RECHECK_MS with If-None-Match, which costs the endpoint no body when unchanged.
 * - The ETag is the SHA-256 of the bytes, the same on every replica; Last-Modified is the
 *   object's, so Range, If-Range and 304 work as for local files (serve-file.ts).
 * - With `redirect`, by-hash and pool paths are answered with a 302 to a presigned URL of the
 *   object instead (the bytes then never pass through the server).
 */
export class BucketTreeRoute {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry | 'missing'>>();
  private cachedBytes = 0;

  constructor(
    private readonly objects: PublicObjects,
    private readonly store: StoreReader,
    private readonly reporting: DamageReporting,
    private readonly cache: FileCacheOptions,
    private readonly redirect: boolean,
  ) {}

  /** Answers for `relative` (not a pool path), already checked by resolveTreePath. */
  async serve(req: IncomingMessage, res: ServerResponse, relative: string, ex: Exchange): Promise<void> {
    if (this.redirect && byHashDigest(relative) !== undefined) return this.redirectTo(res, ex, await this.objects.presign({ path: relative }, PRESIGN_SECONDS));
    let entry: Entry | 'missing';
    try {
      entry = await this.entry(relative);
    } catch (err) {
      return this.answerUnreadable(res, ex, relative, err);
    }
    if (entry === 'missing') return text(res, ex, 404, 'not found\n');
    await answerFile(req, res, entry.rep, ex);
  }

  /**
   * The checked bytes of `relative` (any path, `.debstash/` included), from memory as serve
   * has them; undefined when the bucket has no such object. Throws what answerUnreadable answers.
   */
  async read(relative: string): Promise<Buffer | undefined> {
    const entry = await this.entry(relative);
    return entry === 'missing' ? undefined : entry.body;
  }

  /** Answers for a read that threw: a damaged object a 500 (TREE_DAMAGED), any other failure a 503. */
  answerUnreadable(res: ServerResponse, ex: Exchange, relative: string, err: unknown): void {
    if (err instanceof TreeDamaged) return answerTreeDamaged(res, ex, this.reporting, { path: err.path, expected: err.expected, why: err.why });
    const code = (err as { code?: string }).code ?? 'DEBSTASH_E_STORAGE_UNREACHABLE';
    this.reporting.logger.error({ reqId: ex.id, code, path: relative, err }, 'a file of the tree cannot be read from the bucket');
    res.setHeader('Retry-After', '5');
    text(res, ex, 503, `${code}: the file cannot be read now, try again later\n`);
  }

  /** Answers a pool path with a redirect to its pool object; false when the pool view does not have it. */
  async redirectPool(res: ServerResponse, where: { readonly prefix: string; readonly path: string }, ex: Exchange): Promise<boolean> {
    const file = await this.store.poolViewFile(where.prefix, where.path);
    if (file === undefined) return false;
    this.redirectTo(res, ex, await this.objects.presign({ sha256: file.sha256 }, PRESIGN_SECONDS));
    return true;
  }

  private redirectTo(res: ServerResponse, ex: Exchange, url: string): void {
    res.setHeader('Location', url);
    text(res, ex, 302, 'found in the storage\n');
  }

  private async entry(relative: string): Promise<Entry | 'missing'> {
    const now = Date.now();
    const hit = this.entries.get(relative);
    if (hit !== undefined && (isImmutable(relative) || now - hit.checkedAt < BUCKET_RECHECK_MS)) {
      // Least recently used last: the oldest go first when the budget is spent.
      this.entries.delete(relative);
      this.entries.set(relative, hit);
      return hit;
    }
    const pending = this.loading.get(relative);
    if (pending !== undefined) return pending;
    const loading = this.load(relative, hit, now);
    this.loading.set(relative, loading);
    try {
      return await loading;
    } finally {
      this.loading.delete(relative);
    }
  }

  private async load(relative: string, hit: Entry | undefined, now: number): Promise<Entry | 'missing'> {
    const got = await this.objects.fetch(relative, hit?.etag);
    if (got === 'unchanged' && hit !== undefined) {
      hit.checkedAt = now;
      return hit;
    }
    this.forget(relative);
    if (got === undefined || got === 'unchanged') return 'missing';
    const sha256 = this.verified(relative, got);
    const size = got.body.length;
    const at = got.lastModified.getTime();
    const entry: Entry = {
      rep: representPoolFile(relative, sha256, { dev: 0, ino: 0, size, mtimeMs: at, ctimeMs: at }, now, got.body),
      body: got.body,
      etag: got.etag,
      checkedAt: now,
    };
    if (size <= this.cache.maxFileBytes && size <= this.cache.budgetBytes) {
      this.entries.set(relative, entry);
      this.cachedBytes += size;
      for (const [key, old] of this.entries) {
        if (this.cachedBytes <= this.cache.budgetBytes) break;
        this.entries.delete(key);
        this.cachedBytes -= old.rep.size;
      }
    }
    return entry;
  }

  private forget(relative: string): void {
    const old = this.entries.get(relative);
    if (old === undefined) return;
    this.entries.delete(relative);
    this.cachedBytes -= old.rep.size;
  }

  /** The SHA-256 of the object, once its bytes are known to be the ones published; throws TreeDamaged otherwise. */
  private verified(relative: string, got: FetchedObject): string {
    const sha256 = createHash('sha256').update(got.body).digest('hex');
    const byName = byHashDigest(relative);
    let expected: string | undefined;
    let actual = sha256;
    if (byName !== undefined) {
      expected = `${byName.algorithm}:${byName.digest}`;
      actual = byName.algorithm === 'sha256' ? sha256 : createHash('sha512').update(got.body).digest('hex');
      if (actual === byName.digest) return sha256;
    } else if (got.sha256 !== undefined) {
      expected = `sha256:${got.sha256}`;
      if (sha256 === got.sha256) return sha256;
    } else {
      expected = 'an object with its sha256 metadata';
    }
    throw new TreeDamaged(relative, expected, byName !== undefined || got.sha256 !== undefined ? `the bucket's object hashes to ${actual}` : 'the bucket object has no SHA-256 to check it against');
  }
}

class TreeDamaged extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}
