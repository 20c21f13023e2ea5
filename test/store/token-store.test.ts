import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { isCode } from '../helpers/coded-error.js';
import { STORE_BACKENDS, stopStoreBackends } from '../helpers/store-backends.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-tokens-'));
});
after(() => rm(dir, { recursive: true, force: true }));
after(stopStoreBackends);

const token = (name: string, sha256: string) => ({ name, scope: 'write' as const, sha256, createdAt: '2026-01-01T00:00:00.000Z' });

test('a data dir from before tokens is migrated and keeps its contents', async () => {
  const file = join(dir, 'old.sqlite');
  const db = new Database(file);
  for (const m of MIGRATIONS.slice(0, 2)) db.exec(m);
  db.pragma('user_version = 2');
  db.prepare('INSERT INTO repos (name, comment, created_at) VALUES (?, ?, ?)').run('kept', '', '2025-01-01T00:00:00Z');
  db.close();
  const store = SqliteStore.open(file);
  try {
    assert.deepEqual((await store.listRepos()).map((r) => r.name), ['kept']);
    assert.deepEqual(await store.listTokens(), []);
  } finally {
    await store.close();
  }
});

for (const backend of STORE_BACKENDS) {
  describe(`tokens in the ${backend.name} store`, { skip: backend.skip }, () => {
    const stores = backend.fixture();
    test('tokens: create, list by name, unique names and hashes, revoke', async () => {
      const store = await stores.open('tokens');
      await store.transaction((tx) => tx.createToken(token('b', 'b'.repeat(64))));
      await store.transaction((tx) => tx.createToken(token('a', 'a'.repeat(64))));
      assert.deepEqual((await store.listTokens()).map((t) => t.name), ['a', 'b']);
      assert.deepEqual((await store.listTokens())[0], token('a', 'a'.repeat(64)));
      await assert.rejects(store.transaction((tx) => tx.createToken(token('a', 'c'.repeat(64)))), isCode('DEBSTASH_E_TOKEN_EXISTS'));
      await assert.rejects(store.transaction((tx) => tx.createToken(token('c', 'a'.repeat(64)))), isCode('DEBSTASH_E_STORE'));
      await store.transaction((tx) => tx.revokeToken('a'));
      assert.deepEqual((await store.listTokens()).map((t) => t.name), ['b']);
      await assert.rejects(store.transaction((tx) => tx.revokeToken('a')), isCode('DEBSTASH_E_TOKEN_NOT_FOUND'));
    });
  });
}
