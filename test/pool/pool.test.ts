import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { ListMultipartUploadsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { FsPool } from '../../src/pool/fs-pool.js';
import { openPool } from '../../src/pool/open-pool.js';
import type { Pool } from '../../src/pool/pool.js';
import { S3Pool } from '../../src/pool/s3-pool.js';
import { statMany } from '../../src/pool/stat-many.js';
import { parseStorageUrl } from '../../src/pool/storage-url.js';
import { isCode } from '../helpers/coded-error.js';
import { freePort } from '../helpers/free-port.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function* chunks(data: Buffer, size = 1000): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function readAll(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** One backend under test: the pool, and what a test needs to see behind its back. */
interface Backend {
  readonly pool: Pool;
  /** Partial writes of `hashes` left behind: temp files on disk, multipart uploads in S3 (cases run at once, so each looks at its own). */
  leftovers(...hashes: string[]): Promise<string[]>;
  /** Replaces the stored bytes of `sha256` with others, as a disk fault or a stray writer would. */
  damage(sha256: string): Promise<void>;
  close(): Promise<void>;
}

const swiftMissing = SwiftS3Server.missing();
let swift: SwiftS3Server | undefined;
/** Started once for every S3 case of this file. */
async function sharedSwift(): Promise<SwiftS3Server> {
  if (swift === undefined) {
    swift = await SwiftS3Server.start();
    await swift.createBucket('pool-test');
  }
  return swift;
}
after(async () => swift?.stop());

const backends: { readonly name: string; readonly skip?: string; open(): Promise<Backend> }[] = [
  {
    name: 'local disk',
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'debstash-pool-'));
      const pool = await FsPool.open(dir);
      return {
        pool,
        leftovers: async (...hashes) => (await readdir(join(dir, '.tmp'))).filter((n) => hashes.some((h) => n.startsWith(h))),
        damage: (h) => writeFile(pool.localPath(h), 'damaged'),
        close: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'S3 (Swift s3api)',
    ...(swiftMissing !== undefined ? { skip: swiftMissing } : {}),
    async open() {
      const server = await sharedSwift();
      const prefix = `t${randomBytes(4).toString('hex')}/`;
      const pool = await S3Pool.open({ bucket: 'pool-test', prefix, endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true }, SWIFT_CREDENTIALS);
      const client = server.client();
      return {
        pool,
        async leftovers(...hashes) {
          const out = await client.send(new ListMultipartUploadsCommand({ Bucket: 'pool-test', Prefix: prefix }));
          return (out.Uploads ?? []).map((u) => u.Key ?? '').filter((k) => hashes.some((h) => k.endsWith(h)));
        },
        async damage(h) {
          await client.send(new PutObjectCommand({ Bucket: 'pool-test', Key: `${prefix}pool/${h.slice(0, 2)}/${h}`, Body: Buffer.from('damaged') }));
        },
        async close() {
          pool.close?.();
          client.destroy();
        },
      };
    },
  },
];

for (const backend of backends) {
  // Timeouts: a Swift that hangs on a loaded machine fails these, never blocks the run.
  describe(`Pool contract: ${backend.name}`, { ...(backend.skip !== undefined ? { skip: backend.skip } : {}), concurrency: 4, timeout: 180_000 }, () => {
    let b: Backend;
    before(async () => {
      b = await backend.open();
    }, { timeout: 120_000 });
    after(async () => b?.close());

    test('stores by SHA-256, reads back whole and by range, lists (with sizes where the pool can), deletes', async () => {
      const data = randomBytes(10_000);
      const h = sha256(data);
      assert.equal(await b.pool.has(h), false);
      const put = await b.pool.put(chunks(data), { sha256: h, size: data.length });
      assert.deepEqual({ sha256: put.sha256, size: put.size }, { sha256: h, size: 10_000 });
      assert.equal((await b.pool.stat(h))?.size, 10_000);
      assert.deepEqual(await readAll(await b.pool.open(h)), data);
      assert.deepEqual(await readAll(await b.pool.open(h, { start: 100, end: 199 })), data.subarray(100, 200));
      const listed: string[] = [];
      for await (const x of b.pool.list()) listed.push(x);
      assert.ok(listed.includes(h));
      if (b.pool.entries !== undefined) {
        // Where the listing carries sizes and ages, they are what stat says.
        const entry = await b.pool.stat(h);
        let seen: { size: number; storedAt?: Date } | undefined;
        for await (const e of b.pool.entries()) if (e.sha256 === h) seen = e;
        assert.equal(seen?.size, 10_000);
        assert.equal(seen?.storedAt?.getTime(), entry?.storedAt?.getTime());
      }
      await b.pool.delete(h);
      assert.equal(await b.pool.has(h), false);
      await assert.rejects(b.pool.open(h), isCode('DEBSTASH_E_POOL_NOT_FOUND'));
    });

    test('a file already stored is stored once; the second body is not read; it counts as stored recently', async () => {
      const data = Buffer.from(`same bytes ${backend.name}`);
      const h = sha256(data);
      await b.pool.put(chunks(data), { sha256: h });
      const body = Readable.from([data]);
      const before = Date.now();
      const again = await b.pool.put(body, { sha256: h });
      assert.deepEqual({ sha256: again.sha256, size: again.size }, { sha256: h, size: data.length });
      // S3 keeps whole seconds of LastModified.
      assert.ok((again.storedAt?.getTime() ?? 0) >= before - 61_000, 'stored again: recent for cleanup');
      assert.equal(body.destroyed, true);
    });

    test('wrong hash, short body and long body are refused and leave nothing behind', async () => {
      const data = randomBytes(5000);
      const h = sha256(data);
      await assert.rejects(b.pool.put(chunks(data), { sha256: sha256(Buffer.from('other')) }), isCode('DEBSTASH_E_POOL_HASH_MISMATCH'));
      await assert.rejects(b.pool.put(chunks(data.subarray(0, 4000)), { sha256: h, size: 5000 }), /4000 bytes instead of 5000/);
      await assert.rejects(b.pool.put(chunks(Buffer.concat([data, data])), { sha256: h, size: 5000 }), /more than 5000 bytes/);
      assert.equal(await b.pool.has(h), false);
      assert.deepEqual(await b.leftovers(h, sha256(Buffer.from('other'))), []);
    });

    test('a large file (20 MiB: multipart on S3) is stored whole, read across part boundaries; a wrong one leaves nothing', async () => {
      const data = randomBytes(20 * 2 ** 20 + 12_345);
      const h = sha256(data);
      await b.pool.put(chunks(data, 65_536), { sha256: h, size: data.length });
      assert.equal((await b.pool.stat(h))?.size, data.length);
      const at = 8 * 2 ** 20;
      assert.deepEqual(await readAll(await b.pool.open(h, { start: at - 10, end: at + 9 })), data.subarray(at - 10, at + 10));
      assert.equal(await b.pool.verify?.(h), 'ok');
      const other = Buffer.from(data);
      other[other.length - 1] ^= 1;
      await assert.rejects(b.pool.put(chunks(other, 65_536), { sha256: sha256(data.subarray(1)) }), isCode('DEBSTASH_E_POOL_HASH_MISMATCH'));
      assert.equal(await b.pool.has(sha256(data.subarray(1))), false);
      assert.deepEqual(await b.leftovers(sha256(data.subarray(1))), [], 'the multipart upload was aborted');
    });

    test('a cancelled write and a body that breaks midway leave nothing behind', async () => {
      const data = randomBytes(50_000);
      const ac = new AbortController();
      async function* slow(): AsyncIterable<Uint8Array> {
        yield data.subarray(0, 1000);
        ac.abort(new Error('cancelled by test'));
        yield data.subarray(1000);
      }
      await assert.rejects(b.pool.put(slow(), { sha256: sha256(data) }, ac.signal), /cancelled by test/);
      async function* broken(): AsyncIterable<Uint8Array> {
        yield data.subarray(0, 1000);
        throw new Error('ECONNRESET');
      }
      await assert.rejects(b.pool.put(broken(), { sha256: sha256(data) }), /ECONNRESET/);
      assert.equal(await b.pool.has(sha256(data)), false);
      assert.deepEqual(await b.leftovers(sha256(data)), []);
    });

    test('verify: ok, missing, and a file whose bytes no longer match its name', async () => {
      const data = randomBytes(3000);
      const h = sha256(data);
      await b.pool.put(chunks(data), { sha256: h });
      assert.equal(await b.pool.verify?.(h), 'ok');
      assert.equal(await b.pool.verify?.(sha256(Buffer.from('never stored'))), 'missing');
      await b.damage(h);
      assert.equal(await b.pool.verify?.(h), 'mismatch');
      await b.pool.delete(h);
    });

    test('many puts at once all land (uploads are bounded, not refused)', async () => {
      const blobs = Array.from({ length: 40 }, (_, i) => Buffer.from(`concurrent ${backend.name} ${i} ${randomBytes(8).toString('hex')}`));
      await Promise.all(blobs.map((d) => b.pool.put(chunks(d, 7), { sha256: sha256(d), size: d.length })));
      for (const d of blobs) assert.equal(await b.pool.has(sha256(d)), true);
    });

    test('putMany stores a batch, once per content, in the order given, leaving nothing partial', async () => {
      const tag = randomBytes(4).toString('hex');
      const blobs = Array.from({ length: 60 }, (_, i) => Buffer.from(`package ${tag} ${i}`));
      const stored = blobs[7]!;
      await b.pool.put(chunks(stored), { sha256: sha256(stored) });
      const batch = [...blobs, blobs[0]!].map((bytes) => ({ bytes, sha256: sha256(bytes) }));
      assert.deepEqual(await b.pool.putMany?.(batch), batch.map((x) => ({ sha256: x.sha256, size: x.bytes.length })));
      for (const x of batch) assert.deepEqual(await readAll(await b.pool.open(x.sha256)), x.bytes);
      assert.deepEqual(await b.leftovers(...batch.map((x) => x.sha256)), []);
    });

    test('putMany refuses a batch with a wrong hash before storing any of it; cancelled, it stores nothing', async () => {
      const good = Buffer.from(`good in a bad batch ${randomBytes(4).toString('hex')}`);
      const bad = Buffer.from('bad');
      await assert.rejects(b.pool.putMany?.([{ bytes: good, sha256: sha256(good) }, { bytes: bad, sha256: sha256(Buffer.from('other')) }]) ?? Promise.reject(new Error('no putMany')), isCode('DEBSTASH_E_POOL_HASH_MISMATCH'));
      assert.equal(await b.pool.has(sha256(good)), false);
      const ac = new AbortController();
      ac.abort(new Error('cancelled by test'));
      await assert.rejects(b.pool.putMany?.([{ bytes: good, sha256: sha256(good) }], ac.signal) ?? Promise.reject(new Error('no putMany')), /cancelled by test/);
      assert.equal(await b.pool.has(sha256(good)), false);
      assert.deepEqual(await b.leftovers(sha256(good)), []);
    });

    test('statMany: the stored files with their sizes, the absent ones left out, whether listed by prefix or asked one by one', async () => {
      // Five files under one pool/ab/ prefix (statMany lists it on S3) and two elsewhere (asked for one by one).
      const files: Buffer[] = [];
      const prefix = randomBytes(1).toString('hex');
      for (let i = 0; files.length < 5 && i < 100_000; i++) {
        const data = randomBytes(64);
        if (sha256(data).startsWith(prefix)) files.push(data);
      }
      files.push(randomBytes(100), randomBytes(200));
      for (const f of files) await b.pool.put(chunks(f), { sha256: sha256(f), size: f.length });
      const absent = [`${prefix}${'0'.repeat(62)}`, 'f'.repeat(64)];
      const wanted = [...files.map(sha256), ...absent, sha256(files[0] ?? Buffer.alloc(0))];
      const found = await statMany(b.pool, wanted);
      assert.deepEqual(new Map([...found].map(([h, e]) => [h, e.size])), new Map(files.map((f) => [sha256(f), f.length])));
      for (const [h, e] of found) assert.equal(e.storedAt?.getTime(), (await b.pool.stat(h))?.storedAt?.getTime());
    });

    test('rejects a malformed hash before any I/O', async () => {
      await assert.rejects(b.pool.put(chunks(Buffer.from('x')), { sha256: '../../etc/passwd' }), TypeError);
      await assert.rejects(b.pool.stat('ABC'), TypeError);
    });
  });
}

describe('S3 storage settings and faults', { ...(swiftMissing !== undefined ? { skip: swiftMissing } : {}), concurrency: 4, timeout: 180_000 }, () => {
  const env = (server: SwiftS3Server, extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: server.endpoint,
    DEBSTASH_S3_PATH_STYLE: '1',
    ...extra,
  });

  test('DEBSTASH_STORAGE_URL wins over storage:, which wins over the local disk; query parameters over AWS_* variables', async () => {
    const server = await sharedSwift();
    const dir = await mkdtemp(join(tmpdir(), 'debstash-open-pool-'));
    try {
      const local = await openPool(dir, { env: {} });
      assert.equal(local.describe?.(), `local disk ${join(dir, 'pool')}`);
      const fromYaml = await openPool(dir, { storage: 's3://pool-test/yaml', env: env(server) });
      assert.match(fromYaml.describe?.() ?? '', /^s3:\/\/pool-test\/yaml\/ at http:\/\/127\.0\.0\.1:\d+ \(path-style\)$/);
      fromYaml.close?.();
      const fromEnv = await openPool(dir, { storage: 's3://pool-test/yaml', env: env(server, { DEBSTASH_STORAGE_URL: 's3://pool-test/env/deeper' }) });
      assert.match(fromEnv.describe?.() ?? '', /^s3:\/\/pool-test\/env\/deeper\/ /);
      fromEnv.close?.();
      const query = await openPool(dir, { env: env(server, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', DEBSTASH_S3_PATH_STYLE: '0', DEBSTASH_STORAGE_URL: `s3://pool-test/q?endpoint=${encodeURIComponent(server.endpoint)}&path_style=1&region=us-east-1` }) });
      assert.equal(query.describe?.(), `s3://pool-test/q/ at ${server.endpoint} (path-style)`);
      query.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an object damaged behind the pool\'s back is never read whole as valid: the stream fails before its last bytes', async () => {
    const server = await sharedSwift();
    const prefix = `damaged${randomBytes(4).toString('hex')}/`;
    const pool = await S3Pool.open({ bucket: 'pool-test', prefix, endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true }, SWIFT_CREDENTIALS);
    const client = server.client();
    try {
      const data = randomBytes(300_000);
      const h = sha256(data);
      await pool.put(chunks(data), { sha256: h });
      assert.deepEqual(await readAll(await pool.open(h, { start: 0, end: data.length - 1 })), data, 'whole and right: read as is');
      const other = Buffer.from(data);
      other[5] ^= 1;
      await client.send(new PutObjectCommand({ Bucket: 'pool-test', Key: `${prefix}pool/${h.slice(0, 2)}/${h}`, Body: other }));
      let got = 0;
      const read = async (s: Readable): Promise<void> => {
        for await (const c of s) got += (c as Buffer).length;
      };
      await assert.rejects(read(await pool.open(h)), isCode('DEBSTASH_E_STORAGE_INTEGRITY'));
      assert.ok(got < data.length, `held back the end: ${got} of ${data.length} bytes`);
      await assert.rejects(read(await pool.open(h, { start: 0, end: data.length - 1 })), isCode('DEBSTASH_E_STORAGE_INTEGRITY'));
      assert.deepEqual(await readAll(await pool.open(h, { start: 10, end: 19 })), other.subarray(10, 20), 'a part cannot be checked: served as stored (db check --verify finds it)');
    } finally {
      pool.close();
      client.destroy();
    }
  });

  test('503 SlowDown is retried with backoff; still failing after six attempts, it is DEBSTASH_E_STORAGE_UNREACHABLE', async () => {
    const server = await sharedSwift();
    const target = new URL(server.endpoint);
    let throttle = 0;
    let throttled = 0;
    let code = 'SlowDown';
    // In front of Swift: answers 503 SlowDown while `throttle` lasts, else passes the request
    // through unchanged (Host included, so the SigV4 signature still holds).
    const proxy = createServer((req, res) => {
      if (throttle > 0) {
        throttle--;
        throttled++;
        req.resume();
        res.writeHead(503, { 'Content-Type': 'application/xml' });
        res.end(req.method === 'HEAD' ? undefined : `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>Please reduce your request rate.</Message></Error>`);
        return;
      }
      const up = httpRequest({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const pool = await S3Pool.open({ bucket: 'pool-test', prefix: `throttled${randomBytes(4).toString('hex')}/`, endpoint, region: 'us-east-1', forcePathStyle: true }, SWIFT_CREDENTIALS);
    try {
      const data = randomBytes(2000);
      throttle = 2;
      await pool.put(chunks(data), { sha256: sha256(data), size: data.length });
      assert.equal(throttled, 2);
      assert.equal(await pool.has(sha256(data)), true, 'stored once the endpoint let it through');
      // The SDK waits longer after throttling than after other 5xx (seconds, up to 20 s);
      // giving up is shown with a plain 503 to keep the test short.
      code = 'ServiceUnavailable';
      throttle = 1000;
      throttled = 0;
      const started = performance.now();
      await assert.rejects(pool.open(sha256(data)), isCode('DEBSTASH_E_STORAGE_UNREACHABLE', /HTTP 503/));
      assert.equal(throttled, 6, 'six attempts');
      assert.ok(performance.now() - started > 100, 'with backoff between them');
    } finally {
      throttle = 0;
      pool.close();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  test('wrong credentials, a missing bucket and a dead endpoint are coded errors', async () => {
    const server = await sharedSwift();
    const dir = await mkdtemp(join(tmpdir(), 'debstash-open-pool-'));
    try {
      await assert.rejects(openPool(dir, { env: env(server, { DEBSTASH_STORAGE_URL: 's3://pool-test/x', AWS_SECRET_ACCESS_KEY: 'wrong' }) }), isCode('DEBSTASH_E_STORAGE_AUTH'));
      await assert.rejects(openPool(dir, { env: env(server, { DEBSTASH_STORAGE_URL: 's3://no-such-bucket/x' }) }), isCode('DEBSTASH_E_STORAGE_BUCKET_MISSING'));
      const dead = `http://127.0.0.1:${await freePort()}`;
      await assert.rejects(openPool(dir, { env: env(server, { DEBSTASH_STORAGE_URL: 's3://pool-test/x', AWS_ENDPOINT_URL: dead }) }), isCode('DEBSTASH_E_STORAGE_UNREACHABLE'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('storage URLs: what is refused, and why', () => {
  const bad = [
    ['s3://KEY:SECRET@bucket/p', /credentials in the URL are refused/],
    ['http://bucket/p', /scheme http is not supported/],
    ['s3://Bad_Bucket/p', /not a valid S3 bucket name/],
    ['s3://bucket/p?endpoint=ftp://x', /http:\/\/ or https:\/\//],
    ['s3://bucket/p?acl=public', /unknown parameter acl/],
    ['s3://bucket/p?path_style=yes', /path_style must be 0 or 1/],
  ] as const;
  for (const [url, why] of bad) {
    assert.throws(() => parseStorageUrl(url, {}), isCode('DEBSTASH_E_STORAGE_BAD_URL', why), url);
  }
  assert.throws(() => parseStorageUrl('s3://AKIDEXAMPLE:hunter2@bucket/p', {}), (e: Error) => !e.message.includes('hunter2') && !e.message.includes('AKIDEXAMPLE'), 'the secret is never echoed');
  assert.deepEqual(parseStorageUrl('s3://bucket', { AWS_REGION: 'eu-west-1' }), { bucket: 'bucket', prefix: '', region: 'eu-west-1', forcePathStyle: false });
  assert.deepEqual(parseStorageUrl('s3://bucket/a/b/?region=x&path_style=1&endpoint=https://s3.example.test', {}), {
    bucket: 'bucket',
    prefix: 'a/b/',
    endpoint: 'https://s3.example.test',
    region: 'x',
    forcePathStyle: true,
  });
});
