import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { reachableHostArchive } from '../helpers/host-archive.js';
import { IsolatedApt } from '../helpers/isolated-apt.js';
import { projectRoot } from '../helpers/project-root.js';

test('online: "debstash up" on a fresh data dir mirrors, publishes and serves what a plain apt installs', { timeout: 240_000 }, async (t) => {
  const up = await reachableHostArchive();
  if (typeof up === 'string') {
    t.skip(up);
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'debstash-up-'));
  const child = spawn(process.execPath, [join(projectRoot, 'bin/debstash.js'), 'up', '--listen', '127.0.0.1:0'], {
    env: { ...process.env, DEBSTASH_DATA_DIR: join(dir, 'data') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  const serving = new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const m = /serving (http:\/\/127\.0\.0\.1:\d+)\//.exec(stderr);
      if (m?.[1]) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`debstash up exited ${code}: ${stderr.slice(-2000)}`)));
  });
  try {
    const url = await serving;
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    // What up printed is exactly what /client serves, and all a client needs.
    const sources = await (await fetch(`${url}/client/${/Suites: (\S+)/.exec(stdout)?.[1]}.sources`)).text();
    assert.equal(stdout.trim(), sources.trim());
    const apt = await IsolatedApt.create(sources);
    try {
      await apt.aptGet('update');
      const out = await apt.aptGet('install', '-y', '--download-only', 'postgresql', 'python3');
      assert.match(out.stdout, /Download complete and in download only mode/);
      const hosts = new Set([...out.stdout.matchAll(/^Get:\d+ (\S+)/gm)].map((m) => m[1]));
      assert.deepEqual([...hosts], [url], 'every package came from the mirror');
    } finally {
      await apt.close();
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dir, { recursive: true, force: true });
  }
});
