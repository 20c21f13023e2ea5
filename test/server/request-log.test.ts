import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { DEFAULT_FILE_CACHE } from '../../src/server/file-cache.js';
import { Metrics } from '../../src/server/metrics.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { rawGet } from './raw-get.js';

/** A pino logger whose JSON lines land in `lines`. */
function capturingLogger(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

/** The response's own log line, once written (the log follows the response's end). */
async function lineOf(lines: readonly Record<string, unknown>[], reqId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = lines.find((l) => l.reqId === reqId);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line for ${reqId}`);
}

describe('request logs: one JSON line per request, with the id the client sees', () => {
  let dir: string;
  let ctx: Context;
  const servers: RunningServer[] = [];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-log-'));
    ctx = await openEmbeddedContext(join(dir, 'data'));
    await mkdir(join(ctx.publicDir, 'dists/stable'), { recursive: true });
    await writeFile(join(ctx.publicDir, 'dists/stable/InRelease'), 'y'.repeat(42));
  });
  after(async () => {
    for (const s of servers) await s.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  });

  test('id, method, route, path, status, bytes, duration', async () => {
    const { logger, lines } = capturingLogger('info');
    const server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger });
    servers.push(server);
    const ok = await rawGet(server.url, '/dists/stable/InRelease');
    const line = await lineOf(lines, String(ok.headers['x-request-id']));
    assert.deepEqual({ ...line, ms: typeof line.ms, time: typeof line.time }, {
      level: 30,
      time: 'number',
      pid: process.pid,
      hostname: line.hostname,
      reqId: ok.headers['x-request-id'],
      method: 'GET',
      route: '/dists/*/InRelease',
      path: '/dists/stable/InRelease',
      status: 200,
      bytes: 42,
      ms: 'number',
      msg: 'request',
    });
    const missing = await rawGet(server.url, '/pool/x.deb', {}, 'HEAD');
    assert.deepEqual(
      (({ method, route, status, bytes }) => ({ method, route, status, bytes }))(await lineOf(lines, String(missing.headers['x-request-id']))),
      { method: 'HEAD', route: '/pool/*', status: 404, bytes: 0 },
    );
    assert.equal(lines.filter((l) => l.msg === 'request').length, 2);
  });

  test('bytes: the body bytes of every source (memory, disk, ranges of each, the server\'s own texts) in the log line and the metric', async () => {
    await writeFile(join(ctx.publicDir, 'dists/stable/Packages'), 'p'.repeat(500));
    await writeFile(join(ctx.publicDir, 'dists/stable/Contents-amd64'), 'c'.repeat(5000));
    // Past the second of the writes (and the margin): files are kept in memory only once dated.
    await new Promise((r) => setTimeout(r, 3100 - (Date.now() % 1000)));
    const { logger, lines } = capturingLogger('info');
    const metrics = new Metrics();
    const server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger, metrics, fileCache: { ...DEFAULT_FILE_CACHE, maxFileBytes: 1000 } });
    servers.push(server);
    const cases: [string, Record<string, string>, string, number][] = [
      ['/dists/stable/Packages', {}, 'read into memory', 500],
      ['/dists/stable/Packages', {}, 'from memory', 500],
      ['/dists/stable/Packages', { Range: 'bytes=100-109' }, 'a range from memory', 10],
      ['/dists/stable/Contents-amd64', {}, 'streamed from disk', 5000],
      ['/dists/stable/Contents-amd64', { Range: 'bytes=-20' }, 'a range from disk', 20],
      ['/dists/stable/Packages', { 'If-Modified-Since': new Date().toUTCString() }, 'a 304', 0],
      ['/dists/stable/Sources', {}, 'a 404\'s text', 'not found\n'.length],
      ['/healthz', {}, 'a text answer', 'ok\n'.length],
    ];
    for (const [path, headers, what, bytes] of cases) {
      const r = await rawGet(server.url, path, headers);
      assert.equal(r.body.length, bytes, what);
      assert.equal((await lineOf(lines, String(r.headers['x-request-id']))).bytes, bytes, what);
    }
    const text = await metrics.render(ctx);
    assert.match(text, new RegExp(`^debstash_http_response_bytes_total\\{route="/dists/\\*"\\} ${500 + 500 + 10 + 5000 + 20 + 10}$`, 'm'));
    assert.match(text, /^debstash_http_response_bytes_total\{route="\/healthz"\} 3$/m);
  });

  test('debug adds who asked; warn (quiet) logs no request', async () => {
    const debug = capturingLogger('debug');
    const verbose = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: debug.logger });
    servers.push(verbose);
    const r = await rawGet(verbose.url, '/healthz', { 'User-Agent': 'Debian APT-HTTP/1.3', Range: 'bytes=0-1' });
    const line = await lineOf(debug.lines, String(r.headers['x-request-id']));
    assert.equal(line.level, 20);
    assert.equal(line.userAgent, 'Debian APT-HTTP/1.3');
    assert.equal(line.remote, '127.0.0.1');
    assert.equal(line.range, 'bytes=0-1');

    const quiet = capturingLogger('warn');
    const silent = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: quiet.logger });
    servers.push(silent);
    await rawGet(silent.url, '/healthz');
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(quiet.lines, []);
  });
});
