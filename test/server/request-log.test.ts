import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
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
