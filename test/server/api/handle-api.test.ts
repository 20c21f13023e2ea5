import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Metrics } from '../../../src/server/metrics.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

/** Metrics that remember what the API reported to them. */
class RecordingMetrics extends Metrics {
  readonly seenRequests: [string, number][] = [];
  readonly seenTasks: [string, boolean][] = [];
  override observeRequest(route: string, status: number, bytes: number): void {
    this.seenRequests.push([route, status]);
    super.observeRequest(route, status, bytes);
  }
  override observeTask(kind: string, seconds: number, ok: boolean): void {
    this.seenTasks.push([kind, ok]);
    super.observeTask(kind, seconds, ok);
  }
}

describe('REST API: metrics of requests and tasks', () => {
  const metrics = new RecordingMetrics();
  let fx: ApiFixture;
  before(async () => {
    fx = await apiFixture({ metrics });
  });
  after(() => fx.close());

  test('every API request is counted under its route template, never its raw path', async () => {
    await fx.call('GET', '/api/repos/some-name', { token: 'read' });
    await fx.call('GET', '/api/no/such/thing');
    await fx.call('GET', '/api/repos');
    // The server counts a request when its response is over, which is just after the client has it.
    for (let i = 0; i < 100 && metrics.seenRequests.length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const seen = metrics.seenRequests.map(([route, status]) => `${route} ${status}`);
    assert.deepEqual(seen, ['/api/repos/{name} 404', '/api/* 404', '/api/repos 200']);
    assert.match(await metrics.render(fx.ctx), /\/api\/repos\/\{name\}/);
  });

  test('a finished task is reported with its kind and outcome', async () => {
    const r = await fx.call('POST', '/api/publish', { token: 'write', json: { source: { kind: 'repo', name: 'missing' }, dist: 'd' } });
    await fx.waitTask(r.json.task?.id ?? '');
    assert.deepEqual(metrics.seenTasks, [['publish', false]]);
  });
});
