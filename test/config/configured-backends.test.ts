import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configuredBackends } from '../../src/config/find-config.js';
import { isCode } from '../helpers/coded-error.js';

test('database: and storage: of the config in effect; a file naming neither is not validated, one naming either is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-storage-'));
  try {
    const env = {};
    const withToken = 'server:\n  tokens:\n    - { name: ci, scope: write, secret: "${DEBSTASH_UNSET_TOKEN}" }\n';
    await writeFile(join(dir, 'debstash.yaml'), withToken);
    // What every command beside such a file asks: no storage, and no error about the token.
    assert.deepEqual(await configuredBackends(undefined, { cwd: dir, env }), {});
    const named = join(dir, 'named.yaml');
    await writeFile(named, 'storage: s3://bucket/prefix\n');
    assert.deepEqual(await configuredBackends(named, { cwd: dir, env }), { storage: 's3://bucket/prefix' });
    await writeFile(named, 'database: postgres://u@db/x\nstorage: s3://bucket/prefix\n');
    assert.deepEqual(await configuredBackends(named, { cwd: dir, env }), { database: 'postgres://u@db/x', storage: 's3://bucket/prefix' });
    // Each variable wins over its own key only.
    assert.deepEqual(await configuredBackends(named, { cwd: dir, env: { DEBSTASH_DATABASE_URL: 'postgres://v@db/y' } }), { storage: 's3://bucket/prefix' });
    await writeFile(named, 'database: postgres://u@db/x\n');
    assert.deepEqual(await configuredBackends(named, { cwd: dir, env }), { database: 'postgres://u@db/x' });
    // A file that names a storage is loaded whole: a broken one stops the command.
    await writeFile(named, `storage: s3://bucket/prefix\n${withToken}`);
    await assert.rejects(configuredBackends(named, { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_ENV'));
    await writeFile(named, `database: postgres://u@db/x\n${withToken}`);
    await assert.rejects(configuredBackends(named, { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_ENV'));
    // Both variables set: no file is read at all.
    assert.deepEqual(await configuredBackends(join(dir, 'missing.yaml'), { cwd: dir, env: { DEBSTASH_STORAGE_URL: 's3://x/y', DEBSTASH_DATABASE_URL: 'postgres://v@db/y' } }), {});
    await assert.rejects(configuredBackends(join(dir, 'missing.yaml'), { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_NOT_FOUND'));
    await writeFile(named, 'storage: [\n');
    await assert.rejects(configuredBackends(named, { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_SYNTAX'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
