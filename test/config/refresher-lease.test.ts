import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configSchema } from '../../src/config/config-schema.js';
import { Refresher } from '../../src/config/refresher.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { lockKey, StoreLocks } from '../../src/model/store-locks.js';

const gauges = { setGauge: (): void => undefined };

test('a scheduled refresh is skipped while another process holds the refresh lease, and runs once it is free', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-lease-'));
  const ctx = await openEmbeddedContext(dir);
  // Another replica on the same store: its own owner, its own locks.
  const other = new StoreLocks(ctx.store);
  try {
    const refresher = new Refresher(ctx, configSchema.parse({}), gauges);
    let release!: () => void;
    const held = other.with([lockKey.refresh()], () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 50));
    const skipped = await refresher.applyScheduled();
    assert.ok('skipped' in skipped, 'ran although another process held the lease');
    assert.match(skipped.skipped, /refresh:config is held by pid \d+/);
    // The first apply of an `up` waits for the lease instead of skipping.
    const first = refresher.applyFirst();
    release();
    await held;
    assert.deepEqual((await first).steps.map((s) => s.action), ['generate-key']);
    const ran = await refresher.applyScheduled();
    assert.ok(!('skipped' in ran));
  } finally {
    other.close();
    await closeContext(ctx);
    await rm(dir, { recursive: true, force: true });
  }
});
