import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DebstashError } from '../errors/debstash-error.js';
import { isNotFound, storageError } from './s3-errors.js';
import type { S3Location } from './storage-url.js';

/** One object of the published trees, as a listing shows it. */
export interface PublicObject {
  /** Its name under the published trees (`PREFIX/dists/...`), without the bucket prefix. */
  readonly path: string;
  /** The endpoint's ETag without quotes: the MD5 of the bytes for everything put in one piece. */
  readonly etag: string;
  readonly size: number;
}

/** An object read whole, with what the endpoint and its uploader say about it. */
export interface FetchedObject {
  readonly body: Buffer;
  readonly etag: string;
  readonly lastModified: Date;
  /** The SHA-256 debstash stored with it (user metadata), when it has one. */
  readonly sha256: string | undefined;
}

/** How long the index and Release objects may be cached by clients and CDNs (seconds). */
export const SHORT_MAX_AGE = 60;
export const CACHE_IMMUTABLE = 'public, max-age=31536000, immutable';
export const CACHE_SHORT = `public, max-age=${SHORT_MAX_AGE}`;

export const md5Hex = (b: Uint8Array): string => createHash('md5').update(b).digest('hex');

/**
 * The published trees in the bucket: `<bucket prefix>/public/PREFIX/...`, laid out as
 * `DATA_DIR/public/` is on disk, so apt (or a CDN) can read the bucket directly. Objects are put
 * whole with Content-MD5 and user metadata `sha256`; pool paths are server-side copies of the
 * content-addressed pool objects (no download). Calls fail with the storage's coded errors.
 */
export class PublicObjects {
  constructor(
    private readonly client: S3Client,
    private readonly loc: S3Location,
    private readonly poolKey: (sha256: string) => string,
    private readonly describe: () => string,
  ) {}

  key(path: string): string {
    return `${this.loc.prefix}public/${path}`;
  }

  async #call<T>(run: () => Promise<T>, what: string): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw storageError(err, `${what} (${this.describe()})`);
    }
  }

  /** Every object whose path starts with `under`. */
  async *list(under: string): AsyncIterable<PublicObject> {
    const base = this.key('');
    let token: string | undefined;
    do {
      const page = await this.#call(
        () => this.client.send(new ListObjectsV2Command({ Bucket: this.loc.bucket, Prefix: this.key(under), ...(token !== undefined ? { ContinuationToken: token } : {}) })),
        `listing ${under}`,
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || !o.Key.startsWith(base)) continue;
        yield { path: o.Key.slice(base.length), etag: (o.ETag ?? '').replace(/"/g, ''), size: o.Size ?? 0 };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /** Puts `body` at `path` in one piece; the endpoint checks it against Content-MD5, and its ETag is checked here. */
  async put(path: string, body: Buffer, options: { readonly cacheControl: string; readonly contentType: string; readonly sha256: string }): Promise<void> {
    const digest = createHash('md5').update(body).digest();
    const out = await this.#call(
      () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.loc.bucket,
            Key: this.key(path),
            Body: body,
            ContentLength: body.byteLength,
            ContentMD5: digest.toString('base64'),
            ContentType: options.contentType,
            CacheControl: options.cacheControl,
            Metadata: { sha256: options.sha256 },
          }),
        ),
      `storing ${path}`,
    );
    const etag = (out.ETag ?? '').replace(/"/g, '');
    if (etag !== '' && etag !== digest.toString('hex')) {
      throw new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `the endpoint stored ${path} with ETag ${etag}, not the MD5 of what was sent`, { path, etag });
    }
  }

  /**
   * Copies pool object `sha256` to `path` inside the endpoint; false when the pool has no such
   * object (a file of an on-demand mirror not fetched yet).
   */
  async copyFromPool(sha256: string, path: string, options: { readonly cacheControl: string; readonly contentType: string }): Promise<boolean> {
    try {
      await this.#copy(this.poolKey(sha256), path, sha256, options);
      return true;
    } catch (err) {
      if (isNotFound((err as { cause?: unknown }).cause ?? err)) return false;
      throw err;
    }
  }

  /** Copies the published object at `from` to `to` (a second by-hash name of the same bytes). */
  async copy(from: string, to: string, sha256: string, options: { readonly cacheControl: string; readonly contentType: string }): Promise<void> {
    await this.#copy(this.key(from), to, sha256, options);
  }

  async #copy(sourceKey: string, path: string, sha256: string, options: { readonly cacheControl: string; readonly contentType: string }): Promise<void> {
    await this.#call(
      () =>
        this.client.send(
          new CopyObjectCommand({
            Bucket: this.loc.bucket,
            Key: this.key(path),
            CopySource: `${this.loc.bucket}/${encodeURI(sourceKey)}`,
            MetadataDirective: 'REPLACE',
            ContentType: options.contentType,
            CacheControl: options.cacheControl,
            Metadata: { sha256 },
          }),
        ),
      `copying to ${path}`,
    );
  }

  /**
   * Reads `path` whole; undefined when there is no such object, 'unchanged' when its ETag is
   * still `ifNoneMatch`.
   */
  async fetch(path: string, ifNoneMatch?: string): Promise<FetchedObject | 'unchanged' | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.loc.bucket, Key: this.key(path), ...(ifNoneMatch !== undefined ? { IfNoneMatch: `"${ifNoneMatch}"` } : {}) }));
      if (!(out.Body instanceof Readable)) throw new Error('the S3 client returned no stream');
      const chunks: Buffer[] = [];
      for await (const chunk of out.Body) chunks.push(chunk as Buffer);
      return { body: Buffer.concat(chunks), etag: (out.ETag ?? '').replace(/"/g, ''), lastModified: out.LastModified ?? new Date(0), sha256: out.Metadata?.['sha256'] };
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 304) return 'unchanged';
      if (isNotFound(err)) return undefined;
      throw storageError(err, `reading ${path} (${this.describe()})`);
    }
  }

  /** Whether there is an object at `path`. */
  async exists(path: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.loc.bucket, Key: this.key(path) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw storageError(err, `looking for ${path} (${this.describe()})`);
    }
  }

  /** Deletes `path` (absent is fine: S3 deletes are idempotent). */
  async delete(path: string): Promise<void> {
    await this.#call(() => this.client.send(new DeleteObjectCommand({ Bucket: this.loc.bucket, Key: this.key(path) })), `deleting ${path}`);
  }

  /** A URL that reads `path` (or pool object `sha256`) without credentials for `seconds`. */
  presign(target: { readonly path: string } | { readonly sha256: string }, seconds: number): Promise<string> {
    const key = 'path' in target ? this.key(target.path) : this.poolKey(target.sha256);
    return getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.loc.bucket, Key: key }), { expiresIn: seconds });
  }
}
