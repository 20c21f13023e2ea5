import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { configuredStorage } from '../../src/config/find-config.js';
import { isCode } from '../helpers/coded-error.js';

test('storage: of the config in effect; a file without it is not validated, one with it is', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-storage-'));
  try {
    const env = {};
    const withToken = 'server:\n  tokens:\n    - { name: ci, scope: write, secret: "${DEBSTASH_UNSET_TOKEN}" }\n';
    await writeFile(join(dir, 'debstash.yaml'), withToken);
    // What every command beside such a file asks: no storage, and no error about the token.
    assert.equal(await configuredStorage(undefined, { cwd: dir, env }), undefined);
    const named = join(dir, 'named.yaml');
    await writeFile(named, 'storage: s3://bucket/prefix\n');
    assert.equal(await configuredStorage(named, { cwd: dir, env }), 's3://bucket/prefix');
    // A file that names a storage is loaded whole: a broken one stops the command.
    await writeFile(named, `storage: s3://bucket/prefix\n${withToken}`);
    await assert.rejects(configuredStorage(named, { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_ENV'));
    // DEBSTASH_STORAGE_URL wins without reading any file.
    assert.equal(await configuredStorage(join(dir, 'missing.yaml'), { cwd: dir, env: { DEBSTASH_STORAGE_URL: 's3://x/y' } }), undefined);
    await writeFile(named, 'storage: [\n');
    await assert.rejects(configuredStorage(named, { cwd: dir, env }), isCode('DEBSTASH_E_CONFIG_SYNTAX'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
