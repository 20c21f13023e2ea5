import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { forEachConcurrent } from '../concurrency/for-each-concurrent.js';
import { Semaphore } from '../concurrency/semaphore.js';
import { DebstashError } from '../errors/debstash-error.js';
import { checkedBlobs, ContentCheck } from '../files/put-verified.js';
import { checkSha256, SHA256_HEX } from '../files/sha256.js';
import type { Pool, PoolBlob, PoolEntry, PoolExpectation, PoolVerdict } from './pool.js';
import { PublicObjects } from './bucket-objects.js';
import { isNotFound, storageError } from './s3-errors.js';
import { statEach } from './stat-many.js';
import { describeS3Location, type S3Location } from './storage-url.js';

/** Files up to this size go up in one PutObject; larger ones in parts of this size. */
export const SINGLE_PUT_MAX = 8 * 2 ** 20;
const PART_SIZE = SINGLE_PUT_MAX;
/** Uploads in flight per pool: bounds memory (a part each, two for a multipart) and the endpoint's load. */
export const UPLOAD_CONCURRENCY = 16;
/** The SDK's standard retry mode: exponential backoff with jitter, throttling (503 SlowDown) included. */
const MAX_ATTEMPTS = 6;
/** One S3 call, given the client and the per-call options (the abort signal). */
type Run<T> = (client: S3Client, options: { abortSignal?: AbortSignal }) => Promise<T>;

/** A multipart upload this old belongs to no live writer: a crash or a kill left it, and it costs storage. */
const STALE_UPLOAD_MS = 24 * 60 * 60 * 1000;
/** A put of an object already there refreshes its LastModified (cleanup's age) once it is this old. */
const REFRESH_AFTER_MS = 60 * 1000;
/** Bytes per ranged read of a deep check. */
const VERIFY_CHUNK = 8 * 2 ** 20;
/** Hashes under one `pool/ab/` from which statMany lists it rather than asking for each (see there). */
const STAT_BY_LISTING = 4;

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

const md5 = (b: Uint8Array): Buffer => createHash('md5').update(b).digest();

/**
 * The scale-out pool: one object per file at `PREFIX/pool/ab/<sha256>` in a bucket of any S3
 * endpoint (AWS, MinIO, Ceph, Swift's s3api). An object under its final key is always whole
 * and verified: a file up to 8 MiB is hashed in memory before its single PutObject (with
 * Content-MD5, so the endpoint checks the bytes it got); a larger one goes up as a multipart
 * upload under the final key, hashed as it streams, and is completed only when size and SHA-256
 * match (else aborted), since S3 shows nothing of a multipart upload before it completes.
 */
export class S3Pool implements Pool {
  readonly #client: S3Client;
  readonly #loc: S3Location;
  readonly #uploads = new Semaphore(UPLOAD_CONCURRENCY);

  private constructor(client: S3Client, loc: S3Location) {
    this.#client = client;
    this.#loc = loc;
  }

  /**
   * Connects and checks the bucket (reachable, credentials accepted, bucket there), aborting
   * multipart uploads older than a day that writers which died left behind.
   */
  static async open(loc: S3Location, credentials?: S3Credentials): Promise<S3Pool> {
    // The SDK warns on every run that its releases after January 2027 need Node 22; the
    // lockfile pins the one debstash was tested with, and a user can do nothing about it.
    process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
    const client = new S3Client({
      region: loc.region,
      ...(loc.endpoint !== undefined ? { endpoint: loc.endpoint } : {}),
      forcePathStyle: loc.forcePathStyle,
      ...(credentials !== undefined ? { credentials } : {}),
      maxAttempts: MAX_ATTEMPTS,
      retryMode: 'standard',
      // Content-MD5 and our own SHA-256 check integrity; the SDK's default CRC trailers
      // (aws-chunked bodies) are refused by several S3 implementations (Swift's s3api, older MinIO).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
    });
    const pool = new S3Pool(client, loc);
    try {
      await pool.#send((c, o) => c.send(new HeadBucketCommand({ Bucket: loc.bucket }), o));
    } catch (err) {
      client.destroy();
      // HeadBucket has no body, so a missing bucket is a bare 404.
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) {
        throw new DebstashError('DEBSTASH_E_STORAGE_BUCKET_MISSING', `${pool.describe()}: the bucket ${loc.bucket} does not exist`, { bucket: loc.bucket });
      }
      throw storageError(err, pool.describe());
    }
    await pool.abortStaleUploads(STALE_UPLOAD_MS).catch(() => undefined);
    return pool;
  }

  describe(): string {
    return describeS3Location(this.#loc);
  }

  close(): void {
    this.#client.destroy();
  }

  /** The published trees in this bucket (see PublicObjects). */
  publicObjects(): PublicObjects {
    return new PublicObjects(this.#client, this.#loc, (sha256) => this.#key(sha256), () => this.describe());
  }

  #key(sha256: string): string {
    return `${this.#loc.prefix}pool/${sha256.slice(0, 2)}/${sha256}`;
  }

  async #send<T>(run: Run<T>, signal?: AbortSignal): Promise<T> {
    try {
      return await run(this.#client, signal !== undefined ? { abortSignal: signal } : {});
    } catch (err) {
      if (signal?.aborted === true) throw signal.reason;
      throw err;
    }
  }

  async #call<T>(run: Run<T>, what: string, signal?: AbortSignal): Promise<T> {
    try {
      return await this.#send(run, signal);
    } catch (err) {
      throw storageError(err, `${what} (${this.describe()})`);
    }
  }

  localPath(sha256: string): undefined {
    checkSha256(sha256);
    return undefined;
  }

  async stat(sha256: string): Promise<PoolEntry | undefined> {
    checkSha256(sha256);
    try {
      const head = await this.#send<{ ContentLength?: number; LastModified?: Date }>((c, o) => c.send(new HeadObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(sha256) }), o));
      return { sha256, size: head.ContentLength ?? 0, ...(head.LastModified !== undefined ? { storedAt: head.LastModified } : {}) };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storageError(err, `reading ${sha256} (${this.describe()})`);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry> {
    checkSha256(expected.sha256);
    try {
      const existing = await this.stat(expected.sha256);
      if (existing !== undefined) return await this.#storedAgain(existing, signal);
      return await this.#uploads.run(() => this.#upload(body, expected, signal), signal);
    } finally {
      if (body instanceof Readable && !body.destroyed) body.destroy();
    }
  }

  /**
   * Many small files (a repo add): checked first, all of them, so a batch with a wrong hash
   * stores nothing; then put as `put` would, up to the upload bound at once. S3 has no batch
   * durability to gain, only round trips to overlap.
   */
  async putMany(blobs: readonly PoolBlob[], signal?: AbortSignal): Promise<PoolEntry[]> {
    const unique = checkedBlobs(blobs);
    await forEachConcurrent([...unique], UPLOAD_CONCURRENCY, async ([sha256, bytes]) => {
      signal?.throwIfAborted();
      await this.put(Readable.from([bytes]), { sha256, size: bytes.byteLength }, signal);
    });
    return blobs.map(({ sha256, bytes }) => ({ sha256, size: bytes.byteLength }));
  }

  /**
   * A file stored again must look recent to `db cleanup`, as FsPool's utimes makes it: the
   * caller is about to commit a reference to it. S3 has no touch; a copy onto itself (metadata
   * replaced, which S3 requires for a self-copy) gives it a new LastModified. Done once a
   * minute at most per object, as cleanup's minimum age is far longer.
   */
  async #storedAgain(existing: PoolEntry, signal?: AbortSignal): Promise<PoolEntry> {
    const now = Date.now();
    if (existing.storedAt !== undefined && now - existing.storedAt.getTime() < REFRESH_AFTER_MS) return existing;
    const key = this.#key(existing.sha256);
    await this.#call((c, o) => c.send(new CopyObjectCommand({ Bucket: this.#loc.bucket, Key: key, CopySource: `${this.#loc.bucket}/${key}`, MetadataDirective: 'REPLACE', Metadata: { sha256: existing.sha256 } }), o),
      `refreshing ${existing.sha256}`,
      signal,
    );
    return { ...existing, storedAt: new Date(now) };
  }

  async #upload(body: Readable | AsyncIterable<Uint8Array>, expected: PoolExpectation, signal?: AbortSignal): Promise<PoolEntry> {
    const check = new ContentCheck(expected);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let multipart: MultipartUpload | undefined;
    try {
      for await (const chunk of body) {
        signal?.throwIfAborted();
        check.update(chunk);
        pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        pendingBytes += chunk.byteLength;
        while (pendingBytes > PART_SIZE) {
          const all = Buffer.concat(pending, pendingBytes);
          multipart ??= await MultipartUpload.start(this, this.#key(expected.sha256), signal);
          await multipart.add(all.subarray(0, PART_SIZE));
          pending = [all.subarray(PART_SIZE)];
          pendingBytes -= PART_SIZE;
        }
      }
      signal?.throwIfAborted();
      const size = check.finish();
      const rest = Buffer.concat(pending, pendingBytes);
      if (multipart === undefined) {
        await this.#putSingle(expected.sha256, rest, signal);
      } else {
        if (rest.byteLength > 0) await multipart.add(rest);
        await multipart.complete();
        multipart = undefined;
      }
      return { sha256: expected.sha256, size, storedAt: new Date() };
    } finally {
      if (multipart !== undefined) await multipart.abort();
    }
  }

  async #putSingle(sha256: string, bytes: Buffer, signal?: AbortSignal): Promise<void> {
    const digest = md5(bytes);
    const out = await this.#call<{ ETag?: string }>((c, o) => c.send(new PutObjectCommand({
        Bucket: this.#loc.bucket,
        Key: this.#key(sha256),
        Body: bytes,
        ContentLength: bytes.byteLength,
        ContentMD5: digest.toString('base64'),
        ContentType: 'application/octet-stream',
        Metadata: { sha256 },
      }), o),
      `storing ${sha256}`,
      signal,
    );
    await this.#dropUnless(() => checkEtag(out.ETag, digest.toString('hex'), sha256), sha256);
  }

  /** Runs `check`; when it throws, the object just stored is wrong and goes before the error does. */
  async #dropUnless(check: () => void, sha256: string): Promise<void> {
    try {
      check();
    } catch (err) {
      await this.delete(sha256).catch(() => undefined);
      throw err;
    }
  }

  /** Internal to MultipartUpload: see #dropUnless. */
  dropUnless(check: () => void, sha256: string): Promise<void> {
    return this.#dropUnless(check, sha256);
  }

  /** Internal to MultipartUpload: the calls it makes with this pool's client and errors. */
  callFor<T>(run: Run<T>, what: string, signal?: AbortSignal): Promise<T> {
    return this.#call(run, what, signal);
  }

  get bucket(): string {
    return this.#loc.bucket;
  }

  async open(sha256: string, range?: { readonly start: number; readonly end: number }): Promise<Readable> {
    checkSha256(sha256);
    try {
      const out = await this.#send<{ Body?: unknown; ContentRange?: string }>((c, o) => c.send(new GetObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(sha256), ...(range !== undefined ? { Range: `bytes=${range.start}-${range.end}` } : {}) }), o),
      );
      if (!(out.Body instanceof Readable)) throw new Error('the S3 client returned no stream');
      const whole = range === undefined || (range.start === 0 && out.ContentRange !== undefined && new RegExp(`^bytes 0-${range.end}/${range.end + 1}$`).test(out.ContentRange));
      return whole ? checkedWhole(out.Body, sha256) : out.Body;
    } catch (err) {
      if (isNotFound(err)) throw new DebstashError('DEBSTASH_E_POOL_NOT_FOUND', `no file ${sha256} in the pool`, { sha256 });
      throw storageError(err, `reading ${sha256} (${this.describe()})`);
    }
  }

  async delete(sha256: string): Promise<void> {
    checkSha256(sha256);
    await this.#call((c, o) => c.send(new DeleteObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(sha256) }), o), `deleting ${sha256}`);
  }

  async *list(): AsyncIterable<string> {
    for await (const e of this.entries()) yield e.sha256;
  }

  entries(): AsyncIterable<PoolEntry> {
    return this.#entriesUnder('');
  }

  /** The pool's objects whose hash starts with `start` (a listing of `pool/` or `pool/ab/`). */
  async *#entriesUnder(start: string): AsyncIterable<PoolEntry> {
    const prefix = `${this.#loc.prefix}pool/${start.length >= 2 ? `${start.slice(0, 2)}/${start}` : start}`;
    let token: string | undefined;
    do {
      const page = await this.#call<{ Contents?: { Key?: string; Size?: number; LastModified?: Date }[]; NextContinuationToken?: string; IsTruncated?: boolean }>(
        (c, o) => c.send(new ListObjectsV2Command({ Bucket: this.#loc.bucket, Prefix: prefix, ...(token !== undefined ? { ContinuationToken: token } : {}) }), o),
        'listing the pool',
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(o.Key.lastIndexOf('/') + 1) ?? '';
        if (SHA256_HEX.test(name) && o.Key === this.#key(name)) yield { sha256: name, size: o.Size ?? 0, ...(o.LastModified !== undefined ? { storedAt: o.LastModified } : {}) };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * A HeadObject a file costs a request through the endpoint each (a publish of 20,000
   * packages made 20,000): where STAT_BY_LISTING or more of the hashes share their first two
   * hex digits, one listing of that `pool/ab/` answers them (a page per 1000 objects there).
   * A hash the listing lacks is asked for by HeadObject all the same, so an endpoint whose
   * listings lag its writes (Swift's container updates may) never makes a stored file missing.
   */
  async statMany(sha256s: readonly string[], signal?: AbortSignal): Promise<Map<string, PoolEntry>> {
    const groups = new Map<string, Set<string>>();
    for (const sha256 of sha256s) {
      checkSha256(sha256);
      const group = groups.get(sha256.slice(0, 2)) ?? new Set<string>();
      group.add(sha256);
      groups.set(sha256.slice(0, 2), group);
    }
    const found = new Map<string, PoolEntry>();
    const listed = [...groups].filter(([, group]) => group.size >= STAT_BY_LISTING);
    await forEachConcurrent(
      listed,
      UPLOAD_CONCURRENCY,
      async ([start, group]) => {
        for await (const e of this.#entriesUnder(start)) if (group.has(e.sha256)) found.set(e.sha256, e);
      },
      signal,
    );
    const rest = await statEach((sha256) => this.stat(sha256), sha256s.filter((sha256) => !found.has(sha256)), UPLOAD_CONCURRENCY, signal);
    return new Map([...found, ...rest]);
  }

  /**
   * Reads the whole object and compares its SHA-256 with its key. Ranged reads, each with
   * If-Match on the ETag seen first, so an object replaced mid-check fails the read (412)
   * instead of yielding a hash of two versions; the check then starts over, twice at most.
   */
  async verify(sha256: string, signal?: AbortSignal): Promise<PoolVerdict> {
    checkSha256(sha256);
    for (let attempt = 0; ; attempt++) {
      let head: { ContentLength?: number; ETag?: string };
      try {
        head = await this.#send((c, o) => c.send(new HeadObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(sha256) }), o), signal);
      } catch (err) {
        if (isNotFound(err)) return 'missing';
        throw storageError(err, `verifying ${sha256} (${this.describe()})`);
      }
      const size = head.ContentLength ?? 0;
      const hash = createHash('sha256');
      try {
        for (let start = 0; start < size; start += VERIFY_CHUNK) {
          const end = Math.min(size, start + VERIFY_CHUNK) - 1;
          const out = await this.#send<{ Body?: unknown }>((c, o) => c.send(new GetObjectCommand({ Bucket: this.#loc.bucket, Key: this.#key(sha256), Range: `bytes=${start}-${end}`, ...(head.ETag !== undefined ? { IfMatch: head.ETag } : {}) }), o),
            signal,
          );
          if (!(out.Body instanceof Readable)) throw new Error('the S3 client returned no stream');
          for await (const chunk of out.Body) hash.update(chunk as Buffer);
        }
      } catch (err) {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((status === 412 || isNotFound(err)) && attempt < 2) continue;
        if (isNotFound(err)) return 'missing';
        throw storageError(err, `verifying ${sha256} (${this.describe()})`);
      }
      return hash.digest('hex') === sha256 ? 'ok' : 'mismatch';
    }
  }

  /** Aborts this pool's multipart uploads started more than `olderThanMs` ago; how many. */
  async abortStaleUploads(olderThanMs: number): Promise<number> {
    const before = Date.now() - olderThanMs;
    let aborted = 0;
    let keyMarker: string | undefined;
    let idMarker: string | undefined;
    for (let page = 0; page < 100; page++) {
      const out = await this.#call<{ Uploads?: { Key?: string; UploadId?: string; Initiated?: Date }[]; IsTruncated?: boolean; NextKeyMarker?: string; NextUploadIdMarker?: string }>((c, o) => c.send(new ListMultipartUploadsCommand({ Bucket: this.#loc.bucket, Prefix: `${this.#loc.prefix}pool/`, ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}), ...(idMarker !== undefined ? { UploadIdMarker: idMarker } : {}) }), o),
        'listing multipart uploads',
      );
      for (const u of out.Uploads ?? []) {
        if (u.Key === undefined || u.UploadId === undefined || u.Initiated === undefined || u.Initiated.getTime() > before) continue;
        await this.#call((c, o) => c.send(new AbortMultipartUploadCommand({ Bucket: this.#loc.bucket, Key: u.Key, UploadId: u.UploadId }), o), 'aborting a stale multipart upload');
        aborted++;
      }
      if (out.IsTruncated !== true) break;
      keyMarker = out.NextKeyMarker;
      idMarker = out.NextUploadIdMarker;
    }
    return aborted;
  }
}

/**
 * A whole object as a stream that hashes what passes and holds the last chunk back until the
 * SHA-256 is known: an object damaged behind the pool's back ends in an error, so a client
 * (apt through `serve`, an export) never receives it whole as if it were valid.
 */
function checkedWhole(body: Readable, sha256: string): Readable {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      const previous = held;
      held = chunk;
      done(null, previous);
    },
    flush(done) {
      const actual = hash.digest('hex');
      if (actual !== sha256) {
        done(new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `pool object ${sha256} reads back with SHA-256 ${actual}`, { sha256, actual }));
        return;
      }
      done(null, held);
    },
  });
  body.on('error', (err) => out.destroy(err));
  out.on('close', () => body.destroy());
  return body.pipe(out);
}

/** An ETag that is not the MD5 we computed: the endpoint stored other bytes. */
function checkEtag(etag: string | undefined, wanted: string, sha256: string): void {
  if (etag === undefined) return;
  const got = etag.replace(/"/g, '');
  if (got !== wanted) {
    throw new DebstashError('DEBSTASH_E_STORAGE_INTEGRITY', `the endpoint stored ${sha256} with ETag ${got}, not the MD5 ${wanted} of what was sent`, { sha256, etag: got });
  }
}

/**
 * One multipart upload under the final key. Parts go up one at a time while the next is read
 * (at most one in flight, so an upload holds two parts of memory); each carries Content-MD5.
 * The ETag of the completed object (MD5 of the parts' MD5s, "-N") is checked against ours.
 */
class MultipartUpload {
  readonly #parts: { PartNumber: number; ETag: string }[] = [];
  readonly #md5s: Buffer[] = [];
  #inFlight: Promise<void> = Promise.resolve();
  #failed: unknown;

  private constructor(
    private readonly pool: S3Pool,
    private readonly key: string,
    private readonly uploadId: string,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async start(pool: S3Pool, key: string, signal?: AbortSignal): Promise<MultipartUpload> {
    const sha256 = key.slice(key.lastIndexOf('/') + 1);
    const out = await pool.callFor<{ UploadId?: string }>((c, o) => c.send(new CreateMultipartUploadCommand({ Bucket: pool.bucket, Key: key, ContentType: 'application/octet-stream', Metadata: { sha256 } }), o),
      `starting the upload of ${sha256}`,
      signal,
    );
    if (out.UploadId === undefined) throw new Error('CreateMultipartUpload returned no UploadId');
    return new MultipartUpload(pool, key, out.UploadId, signal);
  }

  /** Queues a part; waits for the previous one, so one is in flight while the caller reads on. */
  async add(bytes: Buffer): Promise<void> {
    await this.#inFlight;
    if (this.#failed !== undefined) throw this.#failed;
    const partNumber = this.#md5s.length + 1;
    const digest = md5(bytes);
    this.#md5s.push(digest);
    this.#inFlight = this.pool
      .callFor<{ ETag?: string }>(
        (c, o) => c.send(new UploadPartCommand({ Bucket: this.pool.bucket, Key: this.key, UploadId: this.uploadId, PartNumber: partNumber, Body: bytes, ContentLength: bytes.byteLength, ContentMD5: digest.toString('base64') }), o),
        `uploading part ${partNumber} of ${this.key}`,
        this.signal,
      )
      .then(
        (out) => {
          this.#parts.push({ PartNumber: partNumber, ETag: out.ETag ?? `"${digest.toString('hex')}"` });
        },
        (err: unknown) => {
          this.#failed = err;
        },
      );
  }

  async complete(): Promise<void> {
    await this.#inFlight;
    if (this.#failed !== undefined) throw this.#failed;
    const parts = [...this.#parts].sort((a, b) => a.PartNumber - b.PartNumber);
    const out = await this.pool.callFor<{ ETag?: string }>((c, o) => c.send(new CompleteMultipartUploadCommand({ Bucket: this.pool.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: parts } }), o),
      `completing the upload of ${this.key}`,
      this.signal,
    );
    const wanted = `${md5(Buffer.concat(this.#md5s)).toString('hex')}-${this.#md5s.length}`;
    const sha256 = this.key.slice(this.key.lastIndexOf('/') + 1);
    await this.pool.dropUnless(() => checkEtag(out.ETag, wanted, sha256), sha256);
  }

  /** Best effort: a failed abort leaves an upload that open() removes a day later. */
  async abort(): Promise<void> {
    await this.#inFlight;
    await this.pool.callFor((c, o) => c.send(new AbortMultipartUploadCommand({ Bucket: this.pool.bucket, Key: this.key, UploadId: this.uploadId }), o), `aborting the upload of ${this.key}`).catch(() => undefined);
  }
}
