import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { projectRoot } from '../helpers/project-root.js';
import { STORE_BACKENDS, stopStoreBackends } from '../helpers/store-backends.js';

after(stopStoreBackends);

const PROCESSES = 4;
const ROUNDS = 15;

/**
 * What each process runs (node -e, so nothing under test/ runs when started bare): ROUNDS
 * read-then-write transactions on one counter (the dist of mirror "c"), then, at a shared
 * moment, one tryLock of "race". Prints the lock attempt as JSON.
 */
const child = `
const [where, startAt] = process.argv.slice(1);
const dist = ${JSON.stringify(join(projectRoot, 'dist/src/store'))};
const { openStore } = await import(dist + '/open-store.js');
const store = where.startsWith('postgres') ? await openStore({ dataDir: '/nonexistent', env: { DEBSTASH_DATABASE_URL: where } })
  : (await import(dist + '/sqlite/sqlite-store.js')).SqliteStore.open(where);
for (let i = 0; i < ${ROUNDS}; i++) {
  await store.transaction(async (tx) => {
    const m = await tx.getMirror('c');
    await new Promise((r) => setTimeout(r, 2));
    await tx.setMirrorConfig('c', { ...m.config, dist: String(Number(m.config.dist) + 1) });
  });
}
await new Promise((r) => setTimeout(r, Math.max(0, Number(startAt) - Date.now())));
const got = await store.tryLock('race', { host: 'h', pid: process.pid, id: 'x' }, 60000, () => false);
process.stdout.write(JSON.stringify(got.acquired));
await store.close();
`;

function runChild(where: string, startAt: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', child, where, String(startAt)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

for (const backend of STORE_BACKENDS) {
  describe(`several processes on one ${backend.name} store`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    test(`${PROCESSES} processes × ${ROUNDS} read-then-write transactions lose no update; of ${PROCESSES} at once, one gets a lock`, async () => {
      const store = await stores.open('race');
      await store.transaction((tx) =>
        tx.createMirror('c', { url: 'file:///x', dist: '0', components: ['main'], architectures: ['amd64'], withDeps: false, withRecommends: false, withSources: false, withUdebs: false, keyrings: [], depsFrom: [] }, 't'),
      );
      const where = await stores.location('race');
      // Far enough ahead that every process has done its rounds (bounded: 2 ms sleeps, local store).
      const startAt = Date.now() + 8_000;
      const results = await Promise.all(Array.from({ length: PROCESSES }, () => runChild(where, startAt)));
      assert.equal((await store.getMirror('c'))?.config.dist, String(PROCESSES * ROUNDS));
      assert.deepEqual(results.filter((r) => r === 'true').length, 1, results.join(' '));
      assert.equal((await store.listLocks()).length, 1);
    });
  });
}
