import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { projectRoot } from '../helpers/project-root.js';

const bin = join(projectRoot, 'bin/debstash.js');

function run(...args: (string | Record<string, string>)[]): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, ...(args.find((a) => typeof a === 'object') as Record<string, string> | undefined) };
  const r = spawnSync(process.execPath, [bin, ...args.filter((a): a is string => typeof a === 'string')], { encoding: 'utf8', env, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--version prints the package version and exits 0', () => {
  const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.equal(r.stdout.trim(), version);
});

test('--help lists the global options and exits 0', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  for (const opt of ['--data-dir', '--config', '--json', '--quiet', '--verbose']) assert.ok(r.stdout.includes(opt), opt);
});

test('an unknown command is a usage error: exit 2', () => {
  const r = run('no-such-command');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command/);
});

test('a coded error exits 1 and prints its code; with --json as a JSON document', () => {
  const env = { DEBSTASH_DATA_DIR: mkdtempSync(join(tmpdir(), 'debstash-main-')) };
  try {
    const human = run(env, 'mirror', 'show', 'nope');
    assert.equal(human.status, 1);
    assert.match(human.stderr, /^debstash: DEBSTASH_E_MIRROR_NOT_FOUND: no mirror named "nope"\. Check the name/);
    const json = run(env, '--json', 'mirror', 'show', 'nope');
    assert.equal(json.status, 1);
    const doc = JSON.parse(json.stdout) as { error: { code: string } };
    assert.equal(doc.error.code, 'DEBSTASH_E_MIRROR_NOT_FOUND');
  } finally {
    rmSync(env.DEBSTASH_DATA_DIR, { recursive: true, force: true });
  }
});
