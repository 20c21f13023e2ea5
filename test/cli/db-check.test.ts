import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildDeb } from '../helpers/build-deb.js';
import { flipByte } from '../helpers/flip-byte.js';
import { projectRoot } from '../helpers/project-root.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let dir: string;
let data: string;

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(projectRoot, 'bin/debstash.js'), '--data-dir', data, ...args], { env: { ...process.env, DEBSTASH_CONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

async function ok(...args: string[]): Promise<string> {
  const r = await cli(...args);
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'debstash-cli-db-'));
  data = join(dir, 'data');
  await ok('key', 'generate', '--name', 'db check');
  await ok('repo', 'create', 'r');
  await ok('repo', 'add', 'r', await buildDeb(join(dir, 'debs'), { name: 'kept', version: '1', architecture: 'amd64' }, { compression: 'gzip' }));
  await ok('publish', 'repo', 'r', '--dist', 'stable');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('db check --deep names a pool file with a flipped byte and exits 1; the fast check passes it; --concurrency is checked', async () => {
  const pkg = (JSON.parse(await ok('--json', 'repo', 'show', 'r')) as { packages: { sha256: string }[] }).packages[0];
  assert.ok(pkg !== undefined);
  const path = join(data, 'pool', pkg.sha256.slice(0, 2), pkg.sha256.slice(2, 4), pkg.sha256);
  assert.match(await ok('db', 'check', '--deep'), /0 problems; re-hashed \d+ files/);
  const original = await readFile(path);
  await flipByte(path);
  try {
    assert.match(await ok('db', 'check'), /, 0 problems$/m);
    const human = await cli('db', 'check', '--deep', '--concurrency', '2');
    assert.equal(human.code, 1);
    assert.match(human.stdout, new RegExp(`^  pool-hash ${path}: expected sha256:${pkg.sha256}, found sha256:[0-9a-f]{64}$`, 'm'));
    const json = await cli('--json', 'db', 'check', '--deep');
    assert.equal(json.code, 1);
    assert.deepEqual((JSON.parse(json.stdout) as { problems: { kind: string; path: string }[] }).problems.map((p) => [p.kind, p.path]), [['pool-hash', path]]);
  } finally {
    await writeFile(path, original);
  }
  for (const args of [['db', 'check', '--deep', '--concurrency', '0'], ['db', 'check', '--deep', '--concurrency', 'many'], ['db', 'check', '--concurrency', '4']]) {
    const r = await cli(...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^debstash: DEBSTASH_E_USAGE: --concurrency /, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('db cleanup --dry-run lists the files and bytes, removes nothing; the real cleanup frees exactly that', async () => {
  await ok('repo', 'create', 'gone');
  const deb = await buildDeb(join(dir, 'debs'), { name: 'gone', version: '1', architecture: 'amd64' }, { compression: 'gzip' });
  await ok('repo', 'add', 'gone', deb);
  await ok('repo', 'drop', 'gone');
  const size = (await stat(deb)).size;
  const dry = await ok('db', 'cleanup', '--min-age', '0', '--dry-run');
  assert.match(dry, new RegExp(`^would delete 1 unreferenced file, freeing .* \\(${size} bytes\\)\\n  ${data}/pool/`));
  const poolFile = dry.split('\n')[1]?.trim() ?? '';
  assert.equal((await stat(poolFile)).size, size, 'still there');
  const real = JSON.parse(await ok('--json', 'db', 'cleanup', '--min-age', '0')) as { deleted: number; bytes: number };
  assert.deepEqual({ deleted: real.deleted, bytes: real.bytes }, { deleted: 1, bytes: size });
  await assert.rejects(stat(poolFile), /ENOENT/);
  assert.match(await ok('db', 'check'), /, 0 problems$/m);
});
