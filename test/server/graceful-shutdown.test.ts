import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { get, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { projectRoot } from '../helpers/project-root.js';

/** Far more than loopback socket buffers hold: the download is still in flight when the signal comes. */
const BIG = Buffer.alloc(64 * 2 ** 20, 'debstash ');
const BIG_PATH = '/pool/main/b/big/big_1_all.deb';

interface Serve {
  readonly child: ChildProcess;
  readonly url: string;
  readonly log: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/** `debstash serve` as its own process, on a free port; resolves once it said where it listens. */
async function startServe(dataDir: string, ...args: string[]): Promise<Serve> {
  const child = spawn(process.execPath, [join(projectRoot, 'bin/debstash.js'), 'serve', '--listen', '127.0.0.1:0', ...args], {
    env: { ...process.env, DEBSTASH_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const log: Record<string, unknown>[] = [];
  let rest = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    const parts = (rest + s).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) log.push(JSON.parse(p) as Record<string, unknown>);
  });
  const url = await waitFor(() => log.find((l) => typeof l.url === 'string')?.url as string | undefined, 10_000);
  return { child, url, log, exited };
}

/** Polls (every 10 ms, at most `ms`) until `probe` gives a value. */
async function waitFor<T>(probe: () => T | undefined, ms: number): Promise<T> {
  for (let waited = 0; waited <= ms; waited += 10) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`nothing after ${ms} ms`);
}

/** A download that reads one chunk, then stops reading until told to go on. */
function slowDownload(url: string): Promise<{ res: IncomingMessage; rest: () => Promise<{ bytes: number; sha256: string; complete: boolean }> }> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      res.once('data', (first: Buffer) => {
        res.pause();
        hash.update(first);
        bytes += first.length;
        resolve({
          res,
          rest: () =>
            new Promise((done) => {
              res.on('data', (c: Buffer) => {
                hash.update(c);
                bytes += c.length;
              });
              res.on('close', () => done({ bytes, sha256: hash.digest('hex'), complete: res.complete }));
              res.resume();
            }),
        });
      });
    }).on('error', reject);
  });
}

describe('serve: SIGTERM stops accepting, lets downloads in flight finish, then exits', () => {
  let dir: string;
  const children: ChildProcess[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-shutdown-'));
    await mkdir(join(dir, 'data/public/pool/main/b/big'), { recursive: true });
    await writeFile(join(dir, 'data/public', BIG_PATH), BIG);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('a slow download across SIGTERM completes; new connections are refused; exit 0', async () => {
    const serve = await startServe(join(dir, 'data'));
    children.push(serve.child);
    const download = await slowDownload(`${serve.url}${BIG_PATH}`);
    serve.child.kill('SIGTERM');
    await waitFor(() => serve.log.find((l) => l.signal === 'SIGTERM'), 5000);
    await assert.rejects(
      new Promise((resolve, reject) => get(`${serve.url}/healthz`, resolve).on('error', reject)),
      /ECONNREFUSED/,
    );
    assert.equal(serve.child.exitCode, null, 'still running while the download is in flight');
    const result = await download.rest();
    assert.deepEqual(result, { bytes: BIG.length, sha256: createHash('sha256').update(BIG).digest('hex'), complete: true });
    assert.equal(await serve.exited, 0);
    assert.ok(serve.log.some((l) => l.msg === 'stopped'));
    assert.ok(serve.log.some((l) => l.msg === 'request' && l.path === BIG_PATH && l.status === 200 && l.bytes === BIG.length));
  });

  test('a download that stalls past the grace period is cut, and the server exits anyway', async () => {
    const serve = await startServe(join(dir, 'data'), '--grace', '0.5');
    children.push(serve.child);
    const download = await slowDownload(`${serve.url}${BIG_PATH}`);
    const t0 = Date.now();
    serve.child.kill('SIGTERM');
    assert.equal(await serve.exited, 0);
    assert.ok(Date.now() - t0 < 5000, `exited after ${Date.now() - t0} ms`);
    const result = await download.rest();
    assert.equal(result.complete, false);
    assert.ok(result.bytes < BIG.length);
    assert.ok(serve.log.some((l) => l.msg === 'request' && l.path === BIG_PATH && l.aborted === true), 'the cut download is logged as such');
  });
});
