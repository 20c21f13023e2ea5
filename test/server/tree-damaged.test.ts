/**
 * The server never answers 200 with bytes that no longer match what they are published as: a
 * .deb of the pool or a by-hash index changed on disk is a 500 coded DEBSTASH_E_TREE_DAMAGED,
 * a log line and debstash_tree_damaged_total{route}; once repaired, a 200 again.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { generateKey } from '../../src/keys/generate-key.js';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { listPublishedFiles } from '../../src/model/published-files.js';
import { publish } from '../../src/model/publish-ops.js';
import { addToRepo, createRepo } from '../../src/model/repo-ops.js';
import { DEFAULT_FILE_CACHE } from '../../src/server/file-cache.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { buildDeb } from '../helpers/build-deb.js';
import { flipByte } from '../helpers/flip-byte.js';

const sha256 = (b: ArrayBuffer): string => createHash('sha256').update(Buffer.from(b)).digest('hex');

describe('serving a damaged tree', () => {
  let dir: string;
  let ctx: Context;
  let server: RunningServer;
  const logLines: { code?: string; path?: string; expected?: string }[] = [];
  const damagedCount = async (route: string): Promise<number> => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const m = new RegExp(`^debstash_tree_damaged_total\\{route="${route.replace(/[*/.]/g, '\\$&')}"\\} (\\d+)$`, 'm').exec(text);
    return Number(m?.[1] ?? 0);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-damaged-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    await generateKey(ctx.dataDir, { name: 'Damage' });
    const a = await buildDeb(join(dir, 'debs'), { name: 'a', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
    await createRepo(ctx, 'r');
    await addToRepo(ctx, 'r', [a]);
    await publish(ctx, { kind: 'repo', name: 'r' }, { dist: 'stable', architectures: ['amd64'] });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l !== '') logLines.push(JSON.parse(l) as { code?: string });
        done();
      },
    });
    // No second of grace for cached by-hash files: the change is seen at the next request.
    server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: pino({ level: 'error' }, sink), fileCache: { ...DEFAULT_FILE_CACHE, immutableRecheckMs: 0 } });
  });
  after(async () => {
    await server?.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('a .deb changed in the pool (same size, same mtime) is a coded 500 with a log line and a metric; repaired, a 200', async () => {
    const [file] = await ctx.store.poolView('');
    assert.ok(file !== undefined);
    const url = `${server.url}/${file.path}`;
    const ok = await fetch(url);
    assert.equal(ok.status, 200);
    assert.equal(sha256(await ok.arrayBuffer()), file.sha256);

    const path = ctx.pool.localPath(file.sha256) ?? '';
    const original = await readFile(path);
    await flipByte(path, { keepMtime: true });
    for (const init of [{}, { headers: { Range: 'bytes=0-9' } }, { method: 'HEAD' }]) {
      const r = await fetch(url, init);
      assert.equal(r.status, 500, JSON.stringify(init));
      const body = await r.text();
      if (init.method !== 'HEAD') assert.match(body, /^DEBSTASH_E_TREE_DAMAGED/);
    }
    assert.equal(await damagedCount('/pool/*'), 3);
    const line = logLines.find((l) => l.path === file.path);
    assert.equal(line?.code, 'DEBSTASH_E_TREE_DAMAGED');
    assert.match(line?.expected ?? '', new RegExp(file.sha256));

    await writeFile(path, original);
    const again = await fetch(url);
    assert.equal(again.status, 200);
    assert.equal(sha256(await again.arrayBuffer()), file.sha256);
  });

  test('a by-hash index changed on disk is a coded 500 and counted; repaired, a 200', async () => {
    const { files } = await listPublishedFiles(ctx);
    const byHash = files.find((f) => f.path.includes('/by-hash/SHA256/') && f.path.includes('binary-amd64'));
    assert.ok(byHash !== undefined);
    const url = `${server.url}/${relative(ctx.publicDir, byHash.path)}`;
    assert.equal((await fetch(url)).status, 200);
    assert.equal((await fetch(url)).status, 200, 'from memory the second time');
    const original = await readFile(byHash.path);
    await flipByte(byHash.path, { keepMtime: true });
    try {
      const r = await fetch(url);
      assert.equal(r.status, 500);
      assert.match(await r.text(), /^DEBSTASH_E_TREE_DAMAGED/);
      assert.equal(await damagedCount('/dists/*/by-hash/*'), 1);
    } finally {
      await writeFile(byHash.path, original);
    }
    const again = await fetch(url);
    assert.equal(again.status, 200);
    assert.equal(sha256(await again.arrayBuffer()), byHash.sha256);
  });
});
