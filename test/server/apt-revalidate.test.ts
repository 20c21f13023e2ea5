import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { pino } from 'pino';
import { closeContext, type Context, openEmbeddedContext } from '../../src/model/context.js';
import { publishTree } from '../../src/publish/publish-tree.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { publishFixture, sourcesEntry, tryApt, type PublishFixture } from '../publish/publish-fixture.js';

let f: PublishFixture;
let ctx: Context;
let server: RunningServer;
let apt: IsolatedApt;
const log: Record<string, unknown>[] = [];

before(async () => {
  f = await publishFixture();
  ctx = await openEmbeddedContext(join(f.dir, 'data'));
  const hello = await f.deb({ name: 'hello', version: '1.0-1', architecture: 'amd64' });
  await publishTree({
    root: ctx.publicDir,
    prefix: 'debian',
    dist: 'stable',
    components: [{ name: 'main', packages: [hello] }],
    architectures: ['amd64'],
    meta: { origin: 'Debstash Test', label: 'Debstash Test', codename: 'stable', description: 'conditional requests' },
    signer: f.signer,
    pool: f.pool,
    store: ctx.store,
  });
  // Past the second of the publish (and the margin): InRelease is then given a Last-Modified.
  await new Promise((r) => setTimeout(r, 3100 - (Date.now() % 1000)));
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') log.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  server = await startServer(ctx, { host: '127.0.0.1', port: 0, logger: pino({ level: 'info' }, sink) });
  apt = await IsolatedApt.create(sourcesEntry(`${server.url}/debian/`, 'stable', ['main'], f.signer.keyring));
});
after(async () => {
  await apt?.close();
  await server?.close();
  await closeContext(ctx);
  await f?.close();
});

test('apt-get update twice: the second fetch of InRelease is a 304 (apt: "Hit:")', async () => {
  const first = await tryApt(apt, 'update');
  assert.ok(first.ok, first.out);
  assert.match(first.out, /^Get:\d+ \S+ stable InRelease/m);
  const second = await tryApt(apt, 'update');
  assert.ok(second.ok, second.out);
  assert.match(second.out, /^Hit:\d+ \S+ stable InRelease/m);
  await new Promise((r) => setTimeout(r, 100));
  const inRelease = log.filter((l) => l.msg === 'request' && l.path === '/debian/dists/stable/InRelease').map((l) => l.status);
  assert.deepEqual(inRelease, [200, 304]);
});
