import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { formatPlan } from '../../src/config/format-plan.js';
import { formatBytes, formatDuration, plural } from '../../src/model/human-units.js';
import { progressRenderer } from '../../src/cli/progress-renderer.js';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';

const run = promisify(execFile);

test('durations round before they are split: no 1m60s', () => {
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(0.2), '1s');
  assert.equal(formatDuration(59), '59s');
  assert.equal(formatDuration(59.5), '1m00s');
  assert.equal(formatDuration(119.5), '2m00s');
  assert.equal(formatDuration(125), '2m05s');
  assert.equal(formatDuration(3599.5), '1h00m');
  assert.equal(formatDuration(3661), '1h01m');
  assert.equal(formatDuration(Number.NaN), '?');
});

test('bytes in B, kB, MB or GB: a few kB are not "0.0 MB"', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(3400), '3.4 kB');
  assert.equal(formatBytes(45_000), '45 kB');
  assert.equal(formatBytes(999_960), '1.0 MB');
  assert.equal(formatBytes(12_300_000), '12 MB');
  assert.equal(formatBytes(1_234_000_000), '1.2 GB');
});

test('the progress bar gives a few kB in kB, not "0.0 MB"', () => {
  let drawn = '';
  const stream = { write: (s: string) => ((drawn += s), true), isTTY: true } as unknown as NodeJS.WriteStream;
  const bar = progressRenderer({ quiet: false, tty: true, stream });
  bar({ type: 'phase', phase: 'download', message: 'downloading' });
  bar({ type: 'progress', phase: 'download', done: 1, total: 2, bytesDone: 3400, bytesTotal: 6800 });
  bar.end();
  assert.match(drawn, / 3\.4 kB\/6\.8 kB /);
  assert.doesNotMatch(drawn, /0\.0/);
});

test('counts agree with their noun', () => {
  assert.equal(plural(1, 'package'), '1 package');
  assert.equal(plural(0, 'package'), '0 packages');
  assert.equal(plural(2, 'file'), '2 files');
  assert.equal(formatPlan([{ action: 'update-mirror', mirror: 'm', reason: 'upstream changed', added: 1, removed: 0 }]), '~ update mirror m (upstream changed: +1 -0 packages)');
});

test('a cancelled operation says the downloaded files are kept for the next run and what reclaims them', () => {
  const hint = ERROR_CODES.DEBSTASH_E_CANCELLED.hint;
  assert.doesNotMatch(hint, /nothing it started was kept/);
  assert.match(hint, /kept .*next run/);
  assert.match(hint, /db cleanup/);
});

let data: string;
before(async () => {
  data = await mkdtemp(join(tmpdir(), 'debstash-messages-'));
});
after(async () => {
  await rm(data, { recursive: true, force: true });
});

test('-q silences progress, not results: every list and show still prints', async () => {
  const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [join(projectRoot, 'bin/debstash.js'), '-q', '--data-dir', data, ...args], { env: { ...process.env, DEBSTASH_CONFIG: '' } })).stdout;
  assert.equal(await cli('repo', 'create', 'r'), '', 'a confirmation is what -q silences');
  for (const args of [['mirror', 'list'], ['snapshot', 'list'], ['publish', 'list'], ['key', 'list'], ['token', 'list'], ['package', 'search', 'nothing-matches-this'], ['db', 'check']]) {
    assert.notEqual(await cli(...args), '', `-q ${args.join(' ')}`);
  }
  assert.match(await cli('repo', 'list'), /^r: 0 packages/);
  await cli('repo', 'add', 'r', await buildDeb(join(data, 'debs'), { name: 'one', version: '1', architecture: 'amd64' }, { compression: 'xz' }));
  assert.match(await cli('repo', 'list'), /^r: 1 package$/m);
  await cli('snapshot', 'create', 's', '--from-repo', 'r');
  assert.match(await cli('snapshot', 'list'), /^s: 1 package, /m);
  assert.match(await cli('repo', 'show', 'r'), /^name: +r$/m);
});
