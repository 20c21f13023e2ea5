import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { authenticate } from '../../src/auth/authenticate.js';
import { closeContext, openEmbeddedContext } from '../../src/model/context.js';
import { projectRoot } from '../helpers/project-root.js';

const dataDir = mkdtempSync(join(tmpdir(), 'debstash-token-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--data-dir', dataDir, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('token create prints the secret once; the store keeps only its hash; list and revoke', async () => {
  const created = run('--json', 'token', 'create', '--scope', 'write', '--name', 'ci');
  assert.equal(created.status, 0, created.stderr);
  const { secret, scope } = JSON.parse(created.stdout) as { secret: string; scope: string };
  assert.equal(scope, 'write');
  const human = run('token', 'create', '--scope', 'read');
  assert.match(human.stdout, /^dst_\S+\ncreated read token read-[0-9a-f]{8}; the secret above is not shown again\n$/);

  const ctx = await openEmbeddedContext(dataDir);
  try {
    const stored = await ctx.store.listTokens();
    assert.ok(stored.every((t) => !JSON.stringify(t).includes(secret)), 'the secret is not stored');
    assert.deepEqual(await authenticate(ctx.store, `Bearer ${secret}`, []), { ok: true, name: 'ci', scope: 'write' });
  } finally {
    await closeContext(ctx);
  }

  const list = run('--json', 'token', 'list');
  const names = (JSON.parse(list.stdout) as { name: string; secret?: string }[]).map((t) => [t.name, 'secret' in t]);
  assert.equal(names.length, 2);
  assert.deepEqual(names[0], ['ci', false]);
  assert.ok(!list.stdout.includes(secret));

  assert.equal(run('token', 'create', '--scope', 'admin', '--name', 'ci').status, 1, 'names are unique');
  assert.equal(run('token', 'create', '--scope', 'root').status, 2, 'unknown scope');
  assert.equal(run('token', 'revoke', 'ci').status, 0);
  const again = run('token', 'revoke', 'ci');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /DEBSTASH_E_TOKEN_NOT_FOUND/);
});
