import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { splitClearsigned } from '../../src/deb/clearsigned.js';
import { parseRelease } from '../../src/deb/release.js';
import { buildDeb } from '../helpers/build-deb.js';
import { runCli } from '../helpers/run-cli.js';
import { SWIFT_CREDENTIALS, SwiftS3Server } from '../helpers/swift-s3-server.js';

const BUCKET = 'checked';
const skip = SwiftS3Server.missing() ?? false;
/** One publish of one repo per kind of damage, each under a prefix of its own (its own pool paths). */
const PREFIXES = ['byhash', 'plain', 'debs', 'signed'] as const;

let dir: string;
let data: string;
let swift: SwiftS3Server;
let s3: S3Client;
let env: Record<string, string>;
let fingerprint: string;

/** How long each command took, for the test's diagnostics. */
const timings: string[] = [];
const cli = async (...args: string[]): Promise<{ status: number | null; text: string }> => {
  const r = await runCli(data, args, { env });
  timings.push(`${args.join(' ')}: ${r.ms.toFixed(0)} ms`);
  return r;
};
const ok = async (...args: string[]): Promise<string> => {
  const r = await cli(...args);
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.text}`);
  return r.text;
};

before(async () => {
  if (skip !== false) return;
  dir = await mkdtemp(join(tmpdir(), 'debstash-check-bucket-'));
  data = join(dir, 'data');
  const deb = buildDeb(join(dir, 'debs'), { name: 'pkg', version: '1.0', architecture: 'amd64' }, { compression: 'gzip' });
  swift = await SwiftS3Server.start();
  await swift.createBucket(BUCKET);
  s3 = swift.client(6);
  env = {
    DEBSTASH_CONFIG: '',
    DEBSTASH_DATABASE_URL: '',
    DEBSTASH_STORAGE_URL: `s3://${BUCKET}/site?endpoint=${encodeURIComponent(swift.endpoint)}&path_style=1`,
    AWS_ACCESS_KEY_ID: SWIFT_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: SWIFT_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    DEBSTASH_KEY_PASSPHRASE: '',
  };
  fingerprint = (JSON.parse(await ok('--json', 'key', 'generate')) as { fingerprint: string }).fingerprint;
  await ok('repo', 'create', 'r');
  await ok('repo', 'add', 'r', await deb);
  // Different prefixes take different locks: the four publishes run at once.
  await Promise.all(PREFIXES.map((p) => ok('publish', 'repo', 'r', '--dist', 'stable', '--prefix', p)));
}, { timeout: 120_000 });

after(async () => {
  s3?.destroy();
  await swift?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const key = (path: string): string => `site/public/${path}`;

async function bucketBytes(path: string): Promise<Buffer> {
  const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(path) }));
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
}

async function put(path: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(path), Body: body }));
}

/** What the InRelease of the publish under `prefix` lists for `main/binary-amd64/Packages`. */
async function packagesEntry(prefix: string): Promise<{ sha256: string; size: number }> {
  const release = parseRelease(Buffer.from(splitClearsigned(await bucketBytes(`${prefix}/dists/stable/InRelease`)).signed).toString('utf8'));
  const entry = release.sha256.get('main/binary-amd64/Packages');
  assert.ok(entry !== undefined);
  return entry;
}

interface Problem {
  readonly kind: string;
  readonly path: string;
  readonly expected: string;
  readonly found: string;
}

async function problems(...args: string[]): Promise<{ status: number | null; problems: Problem[]; hashedFiles?: number }> {
  const r = await cli('--json', 'db', 'check', ...args);
  const json = JSON.parse(r.text) as { problems: Problem[]; hashedFiles?: number };
  return { status: r.status, ...json };
}

test('db check with S3 storage checks the bucket: clean, then a deleted by-hash object, an overwritten plain index (--deep), a missing pool path and a forged InRelease are named', { skip, timeout: 120_000 }, async (t) => {
  // The data dir's working copy is not what is checked: without it the check is the same.
  await rm(join(data, 'public'), { recursive: true, force: true });
  const [clean, cleanDeep] = await Promise.all([ok('db', 'check'), problems('--deep')]);
  assert.match(clean, /, 0 problems$/m);
  assert.equal(cleanDeep.status, 0);
  assert.deepEqual(cleanDeep.problems, []);
  // The pool's .deb, and per publish at least Release, the plain Packages and its two by-hash names.
  assert.ok((cleanDeep.hashedFiles ?? 0) >= 1 + 4 * 4, `hashed ${cleanDeep.hashedFiles}`);

  // byhash: the SHA256 name of the served Packages deleted.
  const byHash = await packagesEntry('byhash');
  const byHashPath = `byhash/dists/stable/main/binary-amd64/by-hash/SHA256/${byHash.sha256}`;
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key(byHashPath) }));
  // plain: the plain Packages overwritten with bytes of the same size (only --deep tells).
  const plain = await packagesEntry('plain');
  const plainPath = 'plain/dists/stable/main/binary-amd64/Packages';
  const damaged = await bucketBytes(plainPath);
  damaged[0] = (damaged[0] ?? 0) ^ 0x20;
  await put(plainPath, damaged);
  // debs: the .deb's pool path deleted.
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key('debs/pool/') }));
  const poolKey = listed.Contents?.[0]?.Key ?? '';
  assert.equal(poolKey, key('debs/pool/main/p/pkg/pkg_1.0_amd64.deb'));
  await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: poolKey }));
  // signed: one letter of the signed text changed; the signature no longer covers it.
  const inReleasePath = 'signed/dists/stable/InRelease';
  const forged = Buffer.from((await bucketBytes(inReleasePath)).toString('utf8').replace('Suite: stable', 'Suite: stablf'));
  await put(inReleasePath, forged);

  const expectedFast: Problem[] = [
    { kind: 'published-missing', path: key(byHashPath), expected: 'present', found: 'absent' },
    { kind: 'published-missing', path: poolKey, expected: 'present', found: 'absent' },
    { kind: 'published-signature', path: key(inReleasePath), expected: `signed by ${fingerprint}`, found: 'DEBSTASH_E_SIGNATURE_INVALID' },
  ].sort((a, b) => (a.path < b.path ? -1 : 1));
  const [fast, deep, human] = await Promise.all([problems(), problems('--deep'), cli('db', 'check', '--deep')]);
  assert.equal(fast.status, 1);
  assert.deepEqual(fast.problems, expectedFast);
  assert.equal(deep.status, 1);
  const hashOfDamaged = createHash('sha256').update(damaged).digest('hex');
  assert.deepEqual(
    deep.problems,
    [...expectedFast, { kind: 'published-hash', path: key(plainPath), expected: `sha256:${plain.sha256}`, found: `sha256:${hashOfDamaged}` }].sort((a, b) => (a.path < b.path ? -1 : 1)),
  );
  assert.match(human.text, new RegExp(`^  published-hash ${key(plainPath)}: expected sha256:${plain.sha256}, found sha256:${hashOfDamaged}$`, 'm'));
  assert.doesNotMatch(human.text, /\n\s+at /);
  for (const line of timings) t.diagnostic(line);
});
