import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { rawGet } from './raw-get.js';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fd-starved-server.js');

describe('a file that cannot be opened: 503 for a real EMFILE, never a 404', () => {
  let dir: string;
  let child: ReturnType<typeof spawn>;
  const lines: Record<string, unknown>[] = [];

  /** The first line of the child's output that `match` accepts, waiting 10 s at most. */
  async function lineWhere(match: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    for (let i = 0; i < 1000; i++) {
      const l = lines.find(match);
      if (l !== undefined) return l;
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no such line from the server; it printed:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-emfile-'));
    await mkdir(join(dir, 'data/public/dists/stable'), { recursive: true });
    await writeFile(join(dir, 'data/public/dists/stable/InRelease'), 'signed release\n');
    // A low limit, so that running out of descriptors takes a few hundred opens.
    child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$@"', 'bash', process.execPath, CHILD, join(dir, 'data')], { stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: child.stdout! }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  });
  after(async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('EMFILE: 503 with Retry-After, an error log line and a metric; the same file is served once descriptors are back', async () => {
    const { url, held } = await lineWhere((l) => typeof l.url === 'string');
    assert.ok(Number(held) > 100, 'the child really ran out of descriptors');
    const starved = await rawGet(String(url), '/dists/stable/InRelease', { Connection: 'close' });
    assert.equal(starved.status, 503);
    assert.equal(starved.headers['retry-after'], '5');
    assert.match(starved.body, /DEBSTASH_E_TREE_UNAVAILABLE.*EMFILE/);
    const logged = await lineWhere((l) => l.code === 'DEBSTASH_E_TREE_UNAVAILABLE');
    assert.deepEqual({ level: logged.level, errno: logged.errno, path: logged.path, reqId: logged.reqId }, { level: 50, errno: 'EMFILE', path: 'dists/stable/InRelease', reqId: starved.headers['x-request-id'] });

    child.stdin!.write('release\n');
    await lineWhere((l) => l.released === true);
    const served = await rawGet(String(url), '/dists/stable/InRelease');
    assert.equal(served.status, 200);
    assert.equal(served.body, 'signed release\n');
    const metrics = (await rawGet(String(url), '/metrics')).body;
    assert.match(metrics, /^debstash_tree_open_errors_total\{errno="EMFILE"\} 1$/m);
    assert.match(metrics, /^debstash_http_requests_total\{route="\/dists\/\*\/InRelease",status="503"\} 1$/m);
  });
});
