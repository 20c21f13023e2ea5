import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { MirrorDetails } from '../../../src/model/mirror-admin.js';
import type { PackageHit } from '../../../src/model/package-search.js';
import type { SnapshotDiff } from '../../../src/model/snapshot-ops.js';
import type { TaskView } from '../../../src/model/task-registry.js';
import type { PublishRecord } from '../../../src/store/records.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../../model/mirror-fixture.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

/** Server-Sent Events of a task, parsed, until the stream ends. */
async function events(fx: ApiFixture, id: string): Promise<{ type: string; task?: TaskView }[]> {
  const res = await fetch(`${fx.server.url}/api/tasks/${id}/events`, { headers: { authorization: `Bearer ${fx.secrets.read}` } });
  return [...(await res.text()).matchAll(/^data: (.+)$/gm)].map((m) => JSON.parse(m[1] ?? '') as { type: string; task?: TaskView });
}

describe('REST API: mirror → snapshot → publish, packages and keys', () => {
  let upstream: MirrorFixture;
  let fx: ApiFixture;
  before(async () => {
    upstream = await mirrorFixture();
    fx = await apiFixture();
  });
  after(async () => {
    await fx.close();
    await upstream.close();
  });

  test('mirror create, update as a task with progress events, list, show', async () => {
    const created = await fx.call('POST', '/api/mirrors', {
      token: 'write',
      json: { name: 'm', url: upstream.server.url, dist: 'testing', components: ['main', 'contrib'], architectures: ['amd64', 'i386'], filter: FILTER, withDeps: true, keyrings: [upstream.key.keyring] },
    });
    assert.equal(created.status, 201, created.text);
    const update = await fx.call('POST', '/api/mirrors/m/update', { token: 'write', json: { concurrency: 4 } });
    assert.equal(update.status, 202);
    const stream = await events(fx, update.json.task?.id ?? '');
    const types = new Set(stream.map((e) => e.type));
    for (const t of ['phase', 'progress', 'state', 'end']) assert.ok(types.has(t), `${t} in ${[...types].join(',')}`);
    const end = stream.at(-1)?.task;
    assert.equal(end?.state, 'succeeded', JSON.stringify(end?.error));
    assert.ok((end?.result as { packages: number }).packages > 5);
    assert.equal(end?.progress?.phase !== undefined, true);

    const list = await fx.call<{ name: string; packageCount: number }[]>('GET', '/api/mirrors', { token: 'read' });
    assert.deepEqual(list.json.map((m) => m.name), ['m']);
    const show = await fx.call<MirrorDetails>('GET', '/api/mirrors/m', { token: 'read' });
    assert.ok(show.json.packages.some((p) => p.name === 'libfoo1' && p.architecture === 'i386'));
    assert.deepEqual(show.json.unresolved.map((u) => u.package), ['broken_1_amd64']);
    const bad = await fx.call('POST', '/api/mirrors/m/update', { token: 'write', json: { concurrency: 0 } });
    assert.match(bad.json.error?.message ?? '', /^body\.concurrency: /);
    assert.equal((await fx.call('POST', '/api/mirrors/none/update', { token: 'write' })).status, 404);
  });

  test('an update task names filter terms that matched nothing: in its warnings and its result; strictFilter fails it', async () => {
    const created = await fx.call('POST', '/api/mirrors', {
      token: 'write',
      json: { name: 'w', url: upstream.server.url, dist: 'testing', components: ['main'], architectures: ['amd64'], filter: 'Priority (requird) | app', keyrings: [upstream.key.keyring] },
    });
    assert.equal(created.status, 201, created.text);
    const run = async (json: unknown): Promise<TaskView> => {
      const started = await fx.call('POST', '/api/mirrors/w/update', { token: 'write', json });
      assert.equal(started.status, 202, started.text);
      return fx.waitTask(started.json.task?.id ?? '');
    };
    const message = 'filter term `Priority (requird)` matched no package in testing main amd64';
    const strict = await run({ strictFilter: true });
    assert.equal(strict.state, 'failed');
    assert.equal(strict.error?.code, 'DEBSTASH_E_FILTER_UNMATCHED');
    assert.equal((await fx.call<MirrorDetails>('GET', '/api/mirrors/w', { token: 'read' })).json.updatedAt, null, 'nothing committed');

    const warned = await run({});
    assert.equal(warned.state, 'succeeded', JSON.stringify(warned.error));
    assert.deepEqual((warned.result as { warnings: unknown }).warnings, [{ code: 'DEBSTASH_E_FILTER_UNMATCHED', message, term: 'Priority (requird)' }]);
    assert.ok(warned.warnings.includes(`w: ${message}`), warned.warnings.join('\n'));
  });

  test('snapshots: create, filter, merge, pull, diff, verify, list, show', async () => {
    const post = (path: string, json: unknown) => fx.call('POST', path, { token: 'write', json });
    assert.equal((await post('/api/snapshots', { name: 's1', fromMirror: 'm' })).status, 201);
    assert.equal((await post('/api/snapshots/filter', { src: 's1', dest: 's2', query: 'base | exim' })).status, 201);
    assert.equal((await post('/api/snapshots/filter', { src: 's1', dest: 'tools', query: 'tool' })).status, 201);
    assert.equal((await post('/api/snapshots/merge', { dest: 's3', sources: ['s2', 'tools'] })).status, 201);
    const pulled = await post('/api/snapshots/pull', { base: 's2', src: 's1', dest: 's4', query: 'postfix' });
    assert.equal(pulled.status, 201, pulled.text);
    assert.equal((await post('/api/snapshots', { name: 's1', fromMirror: 'm' })).json.error?.code, 'DEBSTASH_E_SNAPSHOT_EXISTS');
    assert.equal((await post('/api/snapshots', { name: 'x', fromMirror: 'm', fromRepo: 'r' })).status, 400);

    const diff = await fx.call<SnapshotDiff>('GET', '/api/snapshots/s2/diff/s3', { token: 'read' });
    assert.deepEqual(diff.json.added.map((p) => p.name), ['tool']);
    const verify = await fx.call<{ unresolved: { package: string }[] }>('GET', '/api/snapshots/s1/verify', { token: 'read' });
    assert.ok(verify.json.unresolved.some((u) => u.package.startsWith('broken')));
    const s3 = await fx.call<{ packages: { name: string }[] }>('GET', '/api/snapshots/s3', { token: 'read' });
    assert.deepEqual(s3.json.packages.map((p) => p.name), ['base', 'exim', 'tool']);
    const all = await fx.call<{ name: string }[]>('GET', '/api/snapshots', { token: 'read' });
    assert.deepEqual(all.json.map((s) => s.name).sort(), ['s1', 's2', 's3', 's4', 'tools']);
  });

  test('publish, switch, list, show, drop; the tree follows', async () => {
    const started = await fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'snapshot', name: 's1' }, dist: 'stable', prefix: 'debian', architectures: ['amd64'], publicUrl: fx.server.url, keepGenerations: 5 } });
    assert.equal(started.status, 202);
    assert.equal((await fx.waitTask(started.json.task?.id ?? '')).state, 'succeeded');
    const names = async (): Promise<string[]> => {
      const res = await fetch(`${fx.server.url}/debian/dists/stable/main/binary-amd64/Packages.gz`);
      return [...gunzipSync(Buffer.from(await res.arrayBuffer())).toString().matchAll(/^Package: (.+)$/gm)].map((m) => m[1] ?? '').sort();
    };
    assert.ok((await names()).includes('app'));
    const sw = await fx.call('POST', '/api/publish/stable/switch?prefix=debian', { token: 'write', json: { snapshot: 's2', keepGenerations: 2 } });
    assert.equal((await fx.waitTask(sw.json.task?.id ?? '')).state, 'succeeded');
    assert.deepEqual(await names(), ['base', 'exim']);
    const shown = await fx.call<PublishRecord>('GET', '/api/publish/stable?prefix=debian', { token: 'read' });
    assert.deepEqual(shown.json.source, { kind: 'snapshot', name: 's2' });
    // Time travel: the public URL kept by the switch, the generations kept replaced by it.
    assert.deepEqual([shown.json.publicUrl, shown.json.keepGenerations], [fx.server.url, 2]);
    const travelled = await fetch(`${fx.server.url}/snapshots/29991231T235959Z/debian/dists/stable/Release`);
    assert.equal(travelled.status, 200);
    assert.match(await travelled.text(), new RegExp(`^Snapshots: ${fx.server.url}/snapshots/@SNAPSHOTID@/debian/$`, 'm'));
    assert.equal((await fx.call('GET', '/api/publish/stable', { token: 'read' })).json.error?.code, 'DEBSTASH_E_PUBLISH_NOT_FOUND');
    const listed = await fx.call<PublishRecord[]>('GET', '/api/publish', { token: 'read' });
    assert.deepEqual(listed.json.map((p) => `${p.prefix} ${p.dist}`), ['debian stable']);
    assert.equal((await fx.call('DELETE', '/api/snapshots/s2', { token: 'admin' })).json.error?.code, 'DEBSTASH_E_IN_USE');
    assert.equal((await fx.call('DELETE', '/api/publish/stable?prefix=debian', { token: 'admin' })).status, 200);
    assert.equal((await fetch(`${fx.server.url}/debian/dists/stable/InRelease`)).status, 404);
    assert.equal((await fx.call('DELETE', '/api/snapshots/s2', { token: 'admin' })).status, 200);
  });

  test('package search across mirrors and snapshots; keys list and export', async () => {
    const hits = await fx.call<PackageHit[]>('GET', `/api/packages?q=${encodeURIComponent('libfoo1 {i386}')}`, { token: 'read' });
    assert.equal(hits.status, 200, hits.text);
    assert.deepEqual(hits.json.map((h) => `${h.name} ${h.architecture}`), ['libfoo1 i386']);
    assert.deepEqual(hits.json[0]?.locations.map((l) => `${l.kind} ${l.name}`), ['mirror m', 'snapshot s1']);
    assert.match(hits.json[0]?.stanza ?? '', /^Package: libfoo1$/m);
    assert.equal((await fx.call('GET', '/api/packages?q=%28', { token: 'read' })).json.error?.code, 'DEBSTASH_E_QUERY_SYNTAX');
    assert.equal((await fx.call('GET', '/api/packages', { token: 'read' })).status, 400);

    const keys = await fx.call<{ fingerprint: string; default: boolean }[]>('GET', '/api/keys', { token: 'read' });
    assert.equal(keys.json.length, 1);
    const exported = await fx.call<{ fingerprint: string; publicKey: string }>('GET', '/api/keys/default', { token: 'read' });
    assert.equal(exported.json.fingerprint, keys.json[0]?.fingerprint);
    assert.match(exported.json.publicKey, /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    assert.doesNotMatch(exported.text, /PRIVATE KEY/);
    assert.equal(exported.json.publicKey, await (await fetch(`${fx.server.url}/key.asc`)).text());
    assert.equal((await fx.call('GET', '/api/keys/0000000000000000', { token: 'read' })).json.error?.code, 'DEBSTASH_E_KEY_NOT_FOUND');
  });

  test('a running mirror update cancelled by DELETE stops and commits nothing', async () => {
    const { server } = await upstream.copy();
    server.inject(/\/pool\//, { hang: true });
    await fx.call('POST', '/api/mirrors', { token: 'write', json: { name: 'slow', url: server.url, dist: 'testing', architectures: ['amd64'], keyrings: [upstream.key.keyring] } });
    const started = await fx.call('POST', '/api/mirrors/slow/update', { token: 'write' });
    const id = started.json.task?.id ?? '';
    let phase: string | undefined;
    for (let i = 0; i < 200 && phase !== 'download'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      phase = (await fx.call('GET', `/api/tasks/${id}`, { token: 'read' })).json.task?.progress?.phase;
    }
    assert.equal(phase, 'download', 'the update reached its (hanging) downloads');
    assert.equal((await fx.call('DELETE', `/api/tasks/${id}`, { token: 'write' })).status, 200);
    const task = await fx.waitTask(id);
    assert.equal(task.state, 'cancelled');
    assert.equal(task.error?.code, 'DEBSTASH_E_CANCELLED');
    const slow = await fx.call<{ packageCount: number; updatedAt?: string }[]>('GET', '/api/mirrors', { token: 'read' });
    assert.deepEqual(slow.json.filter((m) => m.updatedAt === undefined).map((m) => m.packageCount), [0]);
    assert.equal((await fx.call('DELETE', '/api/mirrors/slow', { token: 'admin' })).status, 200);
  });

  test('mirror drop needs admin', async () => {
    assert.equal((await fx.call('DELETE', '/api/mirrors/m', { token: 'write' })).status, 403);
    assert.equal((await fx.call('DELETE', '/api/mirrors/m', { token: 'admin' })).status, 200);
    assert.equal((await fx.call('GET', '/api/mirrors/m', { token: 'read' })).status, 404);
  });
});
