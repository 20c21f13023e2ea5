/**
 * `mirror update` against a hostile archive: a fixture server on 127.0.0.1 serves a signed
 * repository that first behaves (the mirror is updated, snapshotted and published) and then
 * misbehaves in one way per case. Each case runs the update in a child process with a 256 MB
 * heap and checks: a coded error, the previous state intact (the mirror's packages, `db check`,
 * the published files) and the child's peak RSS, which is printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { makeTestKey, type TestKey } from '../helpers/fixture-archive.js';
import { makeAr } from '../helpers/make-ar.js';
import { tarHeader } from '../helpers/make-tar.js';
import { peakRssProbe } from '../helpers/peak-rss-report.js';
import { projectRoot } from '../helpers/project-root.js';
import { compress, sha256Hex, writeSignedDist } from '../helpers/signed-dist.js';

const bin = join(projectRoot, 'bin/debstash.js');
const MiB = 1024 * 1024;
const RSS_BOUND = 400 * MiB;

interface Run {
  readonly status: number | null;
  readonly out: string;
  readonly seconds: number;
  readonly peakRss?: number;
}

let dir: string;
let key: TestKey;
let server: Server;
let base: string;
/** Each case's path prefix is served well until its name is in here. */
const hostile = new Set<string>();
const peaks: string[] = [];

/** Peak RSS and time of a case: in the test's output, and all together at the end. */
function report(t: { diagnostic(message: string): void }, line: string): void {
  t.diagnostic(line);
  peaks.push(line);
}

function cli(dataDir: string, args: readonly string[], env: Record<string, string> = {}, measure = false): Promise<Run> {
  return new Promise((resolve, reject) => {
    const probe = peakRssProbe(join(dataDir, `peak-rss-${Math.random().toString(36).slice(2)}`));
    const nodeArgs = measure ? ['--max-old-space-size=256', ...probe.args] : [];
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
      env: { ...process.env, DEBSTASH_DATA_DIR: dataDir, DEBSTASH_KEY_PASSPHRASE: 'hostile', ...(measure ? probe.env : {}), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (status) => {
      const seconds = (performance.now() - started) / 1000;
      if (!measure) return resolve({ status, out, seconds });
      probe.read().then((peakRss) => resolve({ status, out, seconds, ...(peakRss !== undefined ? { peakRss } : {}) }), reject);
    });
  });
}

const stanza = (name: string, file: Buffer, extra = ''): string =>
  `Package: ${name}\nVersion: 1.0\nArchitecture: amd64\nMaintainer: T <t@debstash.invalid>\n` +
  `Filename: pool/main/${name}_1.0_amd64.deb\nSize: ${file.length}\nSHA256: ${sha256Hex(file)}\n${extra}Description: ${name}\n\n`;

const pool: Record<string, Buffer> = {
  alpha: Buffer.from('alpha package bytes\n'),
  beta: Buffer.from('beta package bytes\n'),
  gamma: Buffer.from('gamma package bytes\n'),
};
const packagesOf = (...names: string[]): string => names.map((n) => stanza(n, pool[n] ?? Buffer.alloc(0))).join('');

async function variant(name: string, packagesXz: Buffer, options: { byHash?: boolean; date?: Date } = {}): Promise<void> {
  await writeSignedDist(join(dir, 'variants', name), 'stable', { 'main/binary-amd64/Packages.xz': packagesXz }, {
    gpg: key.gpg,
    signer: key.fingerprint,
    byHash: options.byHash ?? true,
    ...(options.date ? { date: options.date } : {}),
  });
}

function sendFile(res: ServerResponse, bytes: Buffer): void {
  res.writeHead(200, { 'content-length': bytes.length, 'content-type': 'application/octet-stream' });
  res.end(bytes);
}

async function serveStatic(res: ServerResponse, root: string, rest: string): Promise<void> {
  const file = normalize(join(root, rest));
  if (!file.startsWith(root)) return void res.writeHead(403).end();
  const bytes = await readFile(file).catch(() => undefined);
  if (bytes === undefined) return void res.writeHead(404).end('not found\n');
  sendFile(res, bytes);
}

/** Writes pieces from `next` (undefined: the end) while the client reads; at most `cap` bytes in all. */
async function stream(res: ServerResponse, next: (sent: number) => Buffer | undefined, cap: number, delayMs = 0): Promise<void> {
  let closed = false;
  const gone = new Promise((r) => res.once('close', r)).then(() => (closed = true));
  for (let sent = 0; !closed && sent < cap; ) {
    const piece = next(sent);
    if (piece === undefined) break;
    sent += piece.length;
    if (!res.write(piece)) await Promise.race([new Promise((r) => res.once('drain', r)), gone]);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  }
  if (!closed) res.end();
}

/** An HTTP answer written on the socket by hand: a Content-Length that lies. */
function rawAnswer(req: IncomingMessage, contentLength: number, body: Buffer): void {
  const socket = req.socket;
  socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${contentLength}\r\nConnection: close\r\n\r\n`);
  socket.end(body);
}

const clearsignedHead = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nOrigin: Hostile\nSuite: stable\nCodename: stable\nArchitectures: amd64\nComponents: main\n';

type Handler = (req: IncomingMessage, res: ServerResponse, rest: string) => Promise<boolean>;

/** What each case does once hostile; false: serve the case's variant (or the good one) as files. */
const behaviours: Record<string, Handler> = {
  'endless-body': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    res.writeHead(200, { 'content-type': 'text/plain' });
    const line = Buffer.from(`${clearsignedHead}${'Filler: endless\n'.repeat(4096)}`);
    await stream(res, () => line, 1024 * MiB);
    return true;
  },
  'release-100mb': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    const size = 100 * 1000 * 1000;
    res.writeHead(200, { 'content-length': size });
    const line = Buffer.from(' 0123456789abcdef0123456789abcdef 1 main/x\n'.repeat(1024));
    await stream(res, (sent) => (sent >= size ? undefined : line.subarray(0, Math.min(line.length, size - sent))), size);
    return true;
  },
  'million-files': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    res.writeHead(200, { 'content-type': 'text/plain' });
    let n = 0;
    const files = 1_000_000;
    await stream(
      res,
      () => {
        if (n === 0) {
          n++;
          return Buffer.from(`${clearsignedHead}MD5Sum:\n`);
        }
        if (n > files) return undefined;
        const lines: string[] = [];
        for (let i = 0; i < 4096 && n <= files; i++, n++) lines.push(` ${createHash('md5').update(String(n)).digest('hex')} 1 main/f${n}\n`);
        if (n > files) lines.push('-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n');
        return Buffer.from(lines.join(''));
      },
      200 * MiB,
    );
    return true;
  },
  'request-too-long': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    // 40 KB/s: well above the minimum rate, but it never ends.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const line = Buffer.from(`${clearsignedHead}${'Filler: slow\n'.repeat(315)}`);
    await stream(res, () => line, 64 * MiB, 100);
    return true;
  },
  'release-content-length-long': async (req, _res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    const bytes = await readFile(join(dir, 'variants', 'next', 'dists', 'stable', 'InRelease'));
    rawAnswer(req, bytes.length + 100, bytes);
    return true;
  },
  'release-content-length-short': async (req, _res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    const bytes = await readFile(join(dir, 'variants', 'next', 'dists', 'stable', 'InRelease'));
    rawAnswer(req, bytes.length - 100, bytes);
    return true;
  },
  'slow-loris': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    const bytes = await readFile(join(dir, 'variants', 'next', 'dists', 'stable', 'InRelease'));
    res.writeHead(200, { 'content-length': bytes.length });
    await stream(res, (sent) => (sent >= bytes.length ? undefined : bytes.subarray(sent, sent + 1)), bytes.length, 1000);
    return true;
  },
  'redirect-loop': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    res.writeHead(302, { location: `${base}/redirect-loop/dists/stable/InRelease` }).end();
    return true;
  },
  'redirect-file': async (_req, res, rest) => {
    if (rest !== 'dists/stable/InRelease') return false;
    res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    return true;
  },
  'content-length-long': async (req, _res, rest) => {
    if (!rest.startsWith('dists/stable/main/binary-amd64/')) return false;
    const bytes = await readFile(join(dir, 'variants', 'next', 'dists', 'stable', 'main', 'binary-amd64', 'Packages.xz'));
    rawAnswer(req, bytes.length + 100, bytes);
    return true;
  },
  'content-length-short': async (req, _res, rest) => {
    if (!rest.startsWith('dists/stable/main/binary-amd64/')) return false;
    const bytes = await readFile(join(dir, 'variants', 'next', 'dists', 'stable', 'main', 'binary-amd64', 'Packages.xz'));
    rawAnswer(req, bytes.length - 100, bytes);
    return true;
  },
  'by-hash-lie': async (_req, res, rest) => {
    if (!rest.includes('/by-hash/')) return false;
    // Valid xz, but the bytes of another index than the hash in the name.
    sendFile(res, await readFile(join(dir, 'variants', 'good', 'dists', 'stable', 'main', 'binary-amd64', 'Packages.xz')));
    return true;
  },
};

/** The variant a hostile case's files come from, where its handler leaves the answer to files. */
const variantOf: Record<string, string> = {
  'slow-loris': 'next',
  'content-length-long': 'next',
  'content-length-short': 'next',
  'by-hash-lie': 'next',
  'xz-bomb': 'xz-bomb',
  'xz-bomb-no-ratio': 'xz-bomb',
  'long-fields': 'long-fields',
};

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  const m = /^\/([a-z0-9-]+)\/(.*)$/.exec(path);
  if (m === null) return void res.writeHead(404).end();
  const [, name = '', rest = ''] = m;
  if (rest.startsWith('pool/')) return serveStatic(res, dir, rest);
  if (hostile.has(name)) {
    const behaviour = behaviours[name];
    if (behaviour !== undefined && (await behaviour(req, res, rest))) return;
    return serveStatic(res, join(dir, 'variants', variantOf[name] ?? 'next'), rest);
  }
  return serveStatic(res, join(dir, 'variants', 'good'), rest);
}

/** `count` xz streams of one block of repeated valid stanzas: xz decodes the concatenation as one file. */
function xzBomb(blockBytes: number, count: number): { bytes: Buffer; expanded: number } {
  const one = stanza('bomb', pool.alpha ?? Buffer.alloc(0));
  const text = Buffer.from(one.repeat(Math.ceil(blockBytes / one.length)));
  const block = compress(text, '.xz');
  return { bytes: Buffer.concat(Array.from({ length: count }, () => block)), expanded: text.length * count };
}

let seed: string;
let seedPublished: string;

async function publishedState(data: string): Promise<string> {
  const files = ['public/dists/stable/InRelease', 'public/dists/stable/main/binary-amd64/Packages'];
  const hashes = await Promise.all(files.map(async (f) => sha256Hex(await readFile(join(data, f)))));
  return hashes.join(' ');
}

const mirrorPackages = async (data: string): Promise<string[]> => {
  const shown = await cli(data, ['--json', 'mirror', 'show', 'm']);
  assert.equal(shown.status, 0, shown.out);
  return (JSON.parse(shown.out) as { packages: { name: string }[] }).packages.map((p) => p.name).sort();
};

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-hostile-'));
  key = await makeTestKey(dir);
  await mkdir(join(dir, 'pool', 'main'), { recursive: true });
  for (const [name, bytes] of Object.entries(pool)) await writeFile(join(dir, 'pool', 'main', `${name}_1.0_amd64.deb`), bytes);
  const earlier = new Date(Date.now() - 3600_000);
  await variant('good', compress(Buffer.from(packagesOf('alpha', 'beta')), '.xz'), { date: earlier });
  await variant('next', compress(Buffer.from(packagesOf('alpha', 'beta', 'gamma')), '.xz'));
  // 640 × 16 MiB: over 10 GB of valid stanzas from about 2 MB of xz.
  const bomb = xzBomb(16 * MiB, 640);
  assert.ok(bomb.expanded >= 10 * 1000 * MiB, String(bomb.expanded));
  await variant('xz-bomb', bomb.bytes);
  const long = Array.from({ length: 20 }, (_, i) => `X-Long-${i}: ${'y'.repeat(100_000)}\n`).join('');
  await variant('long-fields', compress(Buffer.from(packagesOf('alpha', 'beta') + stanza('gamma', pool.gamma ?? Buffer.alloc(0), long)), '.xz'));

  server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  seed = join(dir, 'seed');
  const steps: string[][] = [
    ['key', 'generate', '--name', 'Hostile Test'],
    ['mirror', 'create', 'm', `${base}/seed/`, 'stable', 'main', '--arch', 'amd64', '--keyring', key.keyring],
    ['mirror', 'update', 'm'],
    ['snapshot', 'create', 's', '--from-mirror', 'm'],
    ['publish', 'snapshot', 's', '--dist', 'stable'],
  ];
  for (const args of steps) {
    const r = await cli(seed, args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.out}`);
  }
  seedPublished = await publishedState(seed);
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await key.close();
  await rm(dir, { recursive: true, force: true });
  process.stdout.write(`# peak RSS (256 MB heap):\n${peaks.map((p) => `#   ${p}\n`).join('')}`);
});

interface Case {
  readonly name: string;
  /** What the error must say besides its code. */
  readonly says: RegExp;
  readonly code?: string;
  readonly env?: Record<string, string>;
}

const cases: readonly Case[] = [
  { name: 'endless-body', says: /releaseBytes.*DEBSTASH_LIMIT_RELEASE_BYTES/ },
  { name: 'release-100mb', says: /releaseBytes.*DEBSTASH_LIMIT_RELEASE_BYTES/ },
  { name: 'million-files', says: /1000000 is past the limit releaseFiles.*DEBSTASH_LIMIT_RELEASE_FILES/, env: { DEBSTASH_LIMIT_RELEASE_BYTES: String(128 * MiB) } },
  { name: 'xz-bomb', says: /indexRatio.*DEBSTASH_LIMIT_INDEX_RATIO/ },
  // The ratio allowed: the stanzas (all the same package) are parsed up to the size limit and
  // the repeats dropped, in bounded memory.
  { name: 'xz-bomb-no-ratio', says: /indexBytes.*DEBSTASH_LIMIT_INDEX_BYTES/, env: { DEBSTASH_LIMIT_INDEX_RATIO: '100000000', DEBSTASH_LIMIT_INDEX_STANZAS: '100000000', DEBSTASH_LIMIT_INDEX_BYTES: String(256 * MiB) } },
  { name: 'slow-loris', says: /minRateBytesPerSecond.*DEBSTASH_LIMIT_MIN_RATE/, env: { DEBSTASH_LIMIT_RATE_WINDOW: '3' } },
  { name: 'request-too-long', says: /requestSeconds.*DEBSTASH_LIMIT_REQUEST_SECONDS/, env: { DEBSTASH_LIMIT_REQUEST_SECONDS: '2' } },
  // A body cut short of its Content-Length is a broken transfer: retried, then this.
  { name: 'release-content-length-long', says: /InRelease/, code: 'DEBSTASH_E_UPSTREAM_UNREACHABLE' },
  // Bytes past the Content-Length are never read: what was read does not verify.
  { name: 'release-content-length-short', says: /InRelease/, code: 'DEBSTASH_E_SIGNATURE_INVALID' },
  { name: 'redirect-loop', says: /redirects.*DEBSTASH_LIMIT_REDIRECTS/ },
  { name: 'redirect-file', says: /redirect to file: URL .* refused/ },
  { name: 'content-length-long', says: /Content-Length of/, code: 'DEBSTASH_E_INDEX_HASH_MISMATCH' },
  { name: 'content-length-short', says: /Content-Length of/, code: 'DEBSTASH_E_INDEX_HASH_MISMATCH' },
  { name: 'by-hash-lie', says: /by-hash.*expected .* SHA-256/, code: 'DEBSTASH_E_INDEX_HASH_MISMATCH' },
  { name: 'long-fields', says: /stanzaBytes.*DEBSTASH_LIMIT_STANZA_BYTES/ },
];

describe('mirror update against a hostile upstream', { concurrency: 4 }, () => {
  for (const c of cases) {
    test(c.name, async (t) => {
      const data = join(dir, `case-${c.name}`);
      await cp(seed, data, { recursive: true });
      const edited = await cli(data, ['mirror', 'edit', 'm', '--url', `${base}/${c.name}/`]);
      assert.equal(edited.status, 0, edited.out);
      hostile.add(c.name);

      const run = await cli(data, ['mirror', 'update', 'm'], c.env ?? {}, true);
      const code = c.code ?? 'DEBSTASH_E_UPSTREAM_LIMIT';
      report(t, `${c.name}: ${run.peakRss === undefined ? 'no report' : `${(run.peakRss / MiB).toFixed(1)} MiB`}, ${run.seconds.toFixed(1)} s, ${/DEBSTASH_E_[A-Z_]+/.exec(run.out)?.[0] ?? 'no code'}`);
      assert.equal(run.status, 1, run.out);
      assert.match(run.out, new RegExp(code));
      assert.match(run.out, c.says);
      assert.doesNotMatch(run.out, /\n\s+at .*\(.*\.js:\d+:\d+\)/, 'a stack trace');
      assert.ok(run.peakRss !== undefined && run.peakRss < RSS_BOUND, `peak RSS ${String(run.peakRss)}`);

      assert.deepEqual(await mirrorPackages(data), ['alpha', 'beta']);
      const check = await cli(data, ['db', 'check']);
      assert.equal(check.status, 0, check.out);
      assert.equal(await publishedState(data), seedPublished);
    });
  }
});

/**
 * A .deb whose control.tar.gz expands to `bytes`: a member of that many zeros before ./control,
 * so the reader must decompress past its limit to reach it (gzip level 1: ~1 MB per GB).
 */
async function controlBombDeb(bytes: number): Promise<Buffer> {
  const header = tarHeader({ name: './junk', size: bytes, typeflag: '0' });
  const zeros = Buffer.alloc(MiB);
  const source = Readable.from(
    (function* () {
      yield header;
      for (let sent = 0; sent < bytes; sent += zeros.length) yield zeros;
    })(),
  );
  const chunks: Buffer[] = [];
  for await (const c of source.pipe(createGzip({ level: 1 }))) chunks.push(c as Buffer);
  return makeAr([
    { name: 'debian-binary', data: '2.0\n' },
    { name: 'control.tar.gz', data: Buffer.concat(chunks) },
    { name: 'data.tar.gz', data: Buffer.alloc(0) },
  ]);
}

test('repo add of a .deb whose control member is a bomb: coded error, bounded memory, repo unchanged', async (t) => {
  const data = join(dir, 'case-deb-bomb');
  await cp(seed, data, { recursive: true });
  const file = join(dir, 'bomb_1_amd64.deb');
  await writeFile(file, await controlBombDeb(300 * MiB));
  assert.equal((await cli(data, ['repo', 'create', 'r'])).status, 0);
  const run = await cli(data, ['repo', 'add', 'r', file], {}, true);
  report(t, `deb-control-bomb (repo add): ${run.peakRss === undefined ? 'no report' : `${(run.peakRss / MiB).toFixed(1)} MiB`}, ${run.seconds.toFixed(1)} s, DEBSTASH_E_DEB_INVALID`);
  assert.equal(run.status, 1, run.out);
  assert.match(run.out, /DEBSTASH_E_DEB_INVALID.*decompresses to more than/);
  assert.ok(run.peakRss !== undefined && run.peakRss < RSS_BOUND, `peak RSS ${String(run.peakRss)}`);
  const shown = await cli(data, ['--json', 'repo', 'show', 'r']);
  assert.equal(shown.status, 0, shown.out);
  assert.deepEqual((JSON.parse(shown.out) as { packages: unknown[] }).packages, []);
  assert.equal((await cli(data, ['db', 'check'])).status, 0);
});
