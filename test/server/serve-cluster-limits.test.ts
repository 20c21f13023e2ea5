import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRunning, type ServeProcess, startServeProcess } from '../helpers/serve-process.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One GET (on a connection of its own unless `agent` keeps one), from `localAddress`, with extra headers. */
function get(base: string, path: string, localAddress = '127.0.0.1', headers: Record<string, string> = {}, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { agent, localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a connection that sends nothing; resolves with it and what it will have received once closed. */
function holdOpen(base: string, localAddress: string): Promise<{ socket: Socket; closed: Promise<string> }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), localAddress }, () => resolve({ socket, closed }));
    let got = '';
    socket.setEncoding('latin1').on('data', (s: string) => (got += s));
    const closed = new Promise<string>((r) => socket.once('close', () => r(got)));
    socket.once('error', reject);
  });
}

function workerPids(serve: ServeProcess): number[] {
  return serve.log.filter((l) => typeof l.workerPid === 'number').map((l) => l.workerPid as number);
}

describe('serve --workers 2 with client limits: connections per worker, rates in the primary by the client address', () => {
  let dir: string;
  let serve: ServeProcess;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'debstash-serve-cluster-limits-'));
    serve = await startServeProcess(join(dir, 'data'), {
      args: ['--workers', '2'],
      env: { DEBSTASH_RATE_SEARCH: '1/2', DEBSTASH_MAX_CONNECTIONS_PER_ADDRESS: '1' },
    });
  });
  after(async () => {
    const pids = workerPids(serve);
    const exit = await serve?.stop();
    for (const pid of pids) for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
    await rm(dir, { recursive: true, force: true });
    assert.deepEqual(exit, { code: 0, signal: null }, serve?.stderr());
    for (const pid of pids) assert.equal(isRunning(pid), false, `worker pid ${pid} left running`);
  });

  test('forwarded searches are limited by the client address, which a client cannot name itself', async () => {
    // Burst 2 from 127.0.0.2 (one kept-alive connection, one worker): the third is refused,
    // whatever address it claims.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const from2 = (claim?: string): Promise<Answer> => get(serve.url, '/api/packages?q=x', '127.0.0.2', claim === undefined ? {} : { 'X-Debstash-Client-Address': claim }, agent);
    try {
      assert.equal((await from2()).status, 200);
      assert.equal((await from2('192.0.2.1')).status, 200);
      const third = await from2('192.0.2.2');
      assert.equal(third.status, 429, third.body);
      assert.match(String(third.headers['x-debstash-worker']), /^[12]$/);
    } finally {
      agent.destroy();
    }
    // Another client address has its own bucket: the primary does not see one address ("?") for all.
    assert.equal((await get(serve.url, '/api/packages?q=x', '127.0.0.3')).status, 200);
  });

  test('the web UI answers through the workers (from the primary)', async () => {
    const root = await get(serve.url, '/');
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, '/ui/');
    assert.match(String(root.headers['x-debstash-worker']), /^[12]$/);
  });

  test('connections per address are counted by each worker, and the refusals summed in /metrics', async () => {
    // Round-robin: four connections are two per worker (at least one each), each worker keeps
    // one and refuses the rest: 2 refused, where one process would refuse 3.
    const held = await Promise.all([0, 1, 2, 3].map(() => holdOpen(serve.url, '127.0.0.5')));
    const refused: string[] = [];
    await Promise.race([Promise.all(held.map(async (h) => refused.push(await h.closed))), new Promise((r) => setTimeout(r, 1500))]);
    assert.equal(refused.length, 2, `refused: ${refused.length} of 4`);
    for (const text of refused) assert.match(text, /^HTTP\/1\.1 503 .*DEBSTASH_E_TOO_MANY_CONNECTIONS/s);
    for (const h of held) h.socket.destroy();
    // The workers see the kept connections close before the next one is counted.
    let metrics = '';
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const m = await get(serve.url, '/metrics').catch(() => undefined);
      if (m?.status === 200) {
        metrics = m.body;
        break;
      }
    }
    assert.match(metrics, /^debstash_connections_refused_total 2$/m);
  });
});
