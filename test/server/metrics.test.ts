import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Context } from '../../src/model/context.js';
import { createMirror } from '../../src/model/mirror-admin.js';
import { updateMirror } from '../../src/model/mirror-update.js';
import { createSnapshot } from '../../src/model/snapshot-ops.js';
import { Metrics } from '../../src/server/metrics.js';
import { type RunningServer, startServer } from '../../src/server/start-server.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';
import { rawGet } from './raw-get.js';

/** The value of one sample line, by its exact name and labels as rendered. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics: Prometheus text of requests, bytes, tasks, gauges and the store', () => {
  let fx: MirrorFixture;
  let ctx: Context;
  let server: RunningServer;
  const metrics = new Metrics();

  before(async () => {
    fx = await mirrorFixture();
    ctx = await fx.context();
    await createMirror(ctx, 'm', { url: fx.server.url, dist: 'testing', components: ['main'], architectures: ['amd64'], filter: FILTER, withDeps: true, keyrings: [fx.key.keyring] }, { architectures: ['amd64'], keyrings: [] });
    await updateMirror(ctx, 'm', { client: fx.client });
    await createSnapshot(ctx, 's1', { mirror: 'm' });
    await mkdir(join(ctx.publicDir, 'dists/stable'), { recursive: true });
    await writeFile(join(ctx.publicDir, 'dists/stable/InRelease'), 'x'.repeat(100));
    server = await startServer(ctx, { host: '127.0.0.1', port: 0, metrics });
  });
  after(async () => {
    await server?.close();
    await fx.close();
  });

  test('a scrape after some requests counts them by route template and status', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await rawGet(server.url, '/dists/stable/InRelease')).status, 200);
    await rawGet(server.url, '/dists/stable/InRelease', {}, 'HEAD');
    await rawGet(server.url, '/pool/main/n/nothing.deb');
    await rawGet(server.url, '/%2e%2e/x');
    await rawGet(server.url, '/healthz');
    metrics.observeTask('publish', 2.5, true);
    metrics.observeTask('publish', 0.05, true);
    metrics.observeTask('mirror-update', 4000, false);
    metrics.setGauge('debstash_up_last_refresh_timestamp_seconds', 'When up last refreshed.', 1700000000, { config: 'a "b"\\c' });

    const r = await rawGet(server.url, '/metrics');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = r.body;
    assert.equal(sample(text, 'debstash_http_requests_total{route="/dists/*/InRelease",status="200"}'), 4);
    assert.equal(sample(text, 'debstash_http_requests_total{route="/pool/*",status="404"}'), 1);
    assert.equal(sample(text, 'debstash_http_requests_total{route="/*",status="400"}'), 1);
    assert.equal(sample(text, 'debstash_http_requests_total{route="/healthz",status="200"}'), 1);
    assert.equal(sample(text, 'debstash_http_response_bytes_total{route="/dists/*/InRelease"}'), 300, 'HEAD sends no body');
    assert.match(text, /# TYPE debstash_http_requests_total counter/);

    assert.equal(sample(text, 'debstash_task_duration_seconds_bucket{kind="publish",outcome="ok",le="0.1"}'), 1);
    assert.equal(sample(text, 'debstash_task_duration_seconds_bucket{kind="publish",outcome="ok",le="5"}'), 2);
    assert.equal(sample(text, 'debstash_task_duration_seconds_bucket{kind="publish",outcome="ok",le="+Inf"}'), 2);
    assert.equal(sample(text, 'debstash_task_duration_seconds_sum{kind="publish",outcome="ok"}'), 2.55);
    assert.equal(sample(text, 'debstash_task_duration_seconds_bucket{kind="mirror-update",outcome="failed",le="3600"}'), 0);
    assert.equal(sample(text, 'debstash_task_duration_seconds_count{kind="mirror-update",outcome="failed"}'), 1);
    assert.equal(sample(text, 'debstash_up_last_refresh_timestamp_seconds{config="a \\"b\\"\\\\c"}'), 1700000000);

    const mirror = await ctx.store.getMirror('m');
    assert.ok(mirror?.updatedAt !== undefined && mirror.packageCount > 0);
    assert.equal(sample(text, 'debstash_store_up'), 1);
    assert.equal(sample(text, 'debstash_mirror_last_success_timestamp_seconds{mirror="m"}'), Date.parse(mirror.updatedAt) / 1000);
    assert.equal(sample(text, 'debstash_mirror_packages{mirror="m"}'), mirror.packageCount);
    assert.equal(sample(text, 'debstash_snapshots'), 1);
    assert.equal(sample(text, 'debstash_publishes'), 0);
    // Every family is declared once, before its samples.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    assert.equal(new Set(types).size, types.length);
  });

  test('a gauge name Prometheus would refuse is a programming error', () => {
    assert.throws(() => metrics.setGauge('not a name', 'help', 1), /Prometheus name/);
  });
});
