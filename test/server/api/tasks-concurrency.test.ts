import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { TaskView } from '../../../src/model/task-registry.js';
import { Metrics } from '../../../src/server/metrics.js';
import { buildDeb } from '../../helpers/build-deb.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

const DEB = { 'content-type': 'application/vnd.debian.binary-package' };

/** The Package names of a published index, read over HTTP like apt would. */
async function publishedNames(fx: ApiFixture, dist: string): Promise<string[]> {
  const res = await fetch(`${fx.server.url}/dists/${dist}/main/binary-amd64/Packages.gz`);
  assert.equal(res.status, 200);
  const text = gunzipSync(Buffer.from(await res.arrayBuffer())).toString('utf8');
  return [...text.matchAll(/^Package: (.+)$/gm)].map((m) => m[1] ?? '').sort();
}

/** Reads a task's Server-Sent Events until the stream ends; returns [event, data] pairs. */
async function readEvents(fx: ApiFixture, id: string): Promise<[string, { type: string; task?: TaskView; phase?: string }][]> {
  const res = await fetch(`${fx.server.url}/api/tasks/${id}/events`, { headers: { authorization: `Bearer ${fx.secrets.read}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('id: '))
    .map((block) => {
      const event = /^event: (.+)$/m.exec(block)?.[1] ?? '';
      return [event, JSON.parse(/^data: (.+)$/m.exec(block)?.[1] ?? 'null') as { type: string }];
    });
}

describe('REST API: tasks and concurrency', () => {
  const metrics = new Metrics();
  let fx: ApiFixture;
  let debs: string[];
  before(async () => {
    fx = await apiFixture({ metrics });
    debs = await Promise.all(Array.from({ length: 20 }, (_, i) => buildDeb(join(fx.dir, 'debs'), { name: `pkg${i}`, version: `1.${i}`, architecture: 'amd64' }, { compression: 'gzip' })));
    for (const name of ['left', 'right']) assert.equal((await fx.call('POST', '/api/repos', { token: 'write', json: { name } })).status, 201);
  });
  after(() => fx.close());

  test('20 parallel uploads into 2 repos, then both published at once: every package present, no 500', async () => {
    const uploads = await Promise.all(debs.map(async (path, i) => fx.call('POST', `/api/repos/${i % 2 === 0 ? 'left' : 'right'}/packages`, { token: 'write', body: await readFile(path), headers: DEB })));
    assert.deepEqual(uploads.map((r) => r.status), Array(20).fill(201), uploads.map((r) => r.text).join('\n'));
    const started = await Promise.all(['left', 'right'].map((name) => fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'repo', name }, dist: name } })));
    for (const r of started) {
      assert.equal(r.status, 202, r.text);
      assert.equal(r.headers.get('location'), `/api/tasks/${r.json.task?.id}`);
      assert.ok(['queued', 'running'].includes(r.json.task?.state ?? ''));
    }
    const done = await Promise.all(started.map((r) => fx.waitTask(r.json.task?.id ?? '')));
    assert.deepEqual(done.map((t) => t.state), ['succeeded', 'succeeded'], JSON.stringify(done.map((t) => t.error)));
    assert.deepEqual(await publishedNames(fx, 'left'), Array.from({ length: 10 }, (_, i) => `pkg${2 * i}`).sort());
    assert.deepEqual(await publishedNames(fx, 'right'), Array.from({ length: 10 }, (_, i) => `pkg${2 * i + 1}`).sort());
  });

  test('uploads racing a republish of the same repo: serialized, nothing lost', async () => {
    const extra = await Promise.all(Array.from({ length: 6 }, (_, i) => buildDeb(join(fx.dir, 'more'), { name: `late${i}`, version: '1', architecture: 'amd64' }, { compression: 'gzip' })));
    const racing = await Promise.all([
      fx.call('POST', '/api/publish/left/update', { token: 'write' }),
      ...extra.map(async (path) => fx.call('PUT', '/api/repos/left/packages', { token: 'write', body: await readFile(path), headers: DEB })),
    ]);
    assert.ok(racing.every((r) => r.status < 500), racing.map((r) => r.text).join('\n'));
    assert.equal((await fx.waitTask(racing[0]?.json.task?.id ?? '')).state, 'succeeded');
    const last = await fx.call('POST', '/api/publish/left/update', { token: 'write' });
    assert.equal((await fx.waitTask(last.json.task?.id ?? '')).state, 'succeeded');
    const names = await publishedNames(fx, 'left');
    for (let i = 0; i < 6; i++) assert.ok(names.includes(`late${i}`), `late${i} published`);
    assert.equal(names.length, 16);
  });

  test('the event stream replays the phases and ends with the finished task', async () => {
    const r = await fx.call('POST', '/api/publish/right/update', { token: 'write' });
    const events = await readEvents(fx, r.json.task?.id ?? '');
    const kinds = events.map(([e]) => e);
    assert.ok(kinds.includes('phase'), kinds.join(','));
    assert.equal(kinds.at(-1), 'end');
    const end = events.at(-1)?.[1];
    assert.equal(end?.task?.state, 'succeeded');
    assert.equal((end?.task?.result as { dist: string }).dist, 'right');
    // A finished task's stream is the replay and the end at once.
    const again = await readEvents(fx, r.json.task?.id ?? '');
    assert.equal(again.at(-1)?.[0], 'end');
  });

  test('a task waiting for its lock is cancelled by DELETE and publishes nothing; unknown ids are 404', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // Someone else holds the publish: the next task on it waits for the lock.
    const holding = fx.ctx.locks.with(['publish:/left'], () => held);
    try {
      const before = (await fx.ctx.store.getPublish('', 'left'))?.updatedAt;
      const r = await fx.call('POST', '/api/publish/left/update', { token: 'write' });
      const id = r.json.task?.id ?? '';
      assert.ok(['queued', 'running'].includes(r.json.task?.state ?? ''));
      assert.equal((await fx.call('DELETE', `/api/tasks/${id}`, { token: 'read' })).status, 403);
      assert.equal((await fx.call('DELETE', `/api/tasks/${id}`, { token: 'write' })).status, 200);
      const cancelled = await fx.waitTask(id);
      assert.equal(cancelled.state, 'cancelled');
      assert.equal(cancelled.error?.code, 'DEBSTASH_E_CANCELLED');
      release();
      await holding;
      assert.equal((await fx.ctx.store.getPublish('', 'left'))?.updatedAt, before, 'nothing was published');
    } finally {
      release();
    }
    const list = await fx.call<TaskView[]>('GET', '/api/tasks', { token: 'read' });
    assert.ok(list.json.length >= 6);
    assert.equal(list.json[0]?.state, 'cancelled', 'newest first');
    const unknown = await fx.call('GET', '/api/tasks/no-such-task', { token: 'read' });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error?.code, 'DEBSTASH_E_TASK_NOT_FOUND');
  });

  test('a failing task ends failed with its coded error', async () => {
    const r = await fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'snapshot', name: 'nope' }, dist: 'x' } });
    const task = await fx.waitTask(r.json.task?.id ?? '');
    assert.equal(task.state, 'failed');
    assert.equal(task.error?.code, 'DEBSTASH_E_SNAPSHOT_NOT_FOUND');
  });
});
