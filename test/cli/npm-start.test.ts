import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type ConfigFixture, configFixture } from '../config/config-fixture.js';
import { projectRoot } from '../helpers/project-root.js';
import { freePort } from '../helpers/free-port.js';

/** Every live process below `pid`, read from /proc (children of each of its threads). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    let children = '';
    try {
      children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of children.split(/\s+/).filter(Boolean).map(Number)) out.push(c, ...descendants(c));
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie is gone for our purpose: it holds no port and runs no code.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

let f: ConfigFixture;
before(async () => {
  f = await configFixture();
});
after(async () => {
  await f.close();
});

test('SIGTERM to `npm start` reaches the server: its process is gone and its port closed', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const env = { ...process.env, DEBSTASH_CONFIG: await f.writeConfig(f.configText()), DEBSTASH_DATA_DIR: await f.dataDir() };
  const npm = spawn('npm', ['start', '--', '--listen', `127.0.0.1:${port}`], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  npm.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  npm.stdout.resume();
  const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let below: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (/debstash: ready/.test(stderr)) resolve();
      };
      npm.stderr.on('data', check);
      void npmExited.then(() => reject(new Error(`npm start exited early: ${stderr.slice(-2000)}`)));
    });
    below = descendants(npm.pid ?? 0);
    assert.ok(below.length > 0, 'npm started the server below itself');
    assert.equal(await portOpen(port), true);

    npm.kill('SIGTERM');
    await npmExited;
    let still: number[] = below;
    for (let i = 0; i < 100 && (still.length > 0 || (await portOpen(port))); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      still = below.filter(alive);
    }
    assert.deepEqual(still, [], `left running after npm stopped: ${still.join(', ')}`);
    assert.equal(await portOpen(port), false, `port ${port} still answers`);
    // The server writes to the pipe npm handed it; it is read to its end once every writer closed it.
    if (!npm.stderr.closed) await new Promise((resolve) => npm.stderr.once('close', resolve));
    assert.match(stderr, /SIGTERM: finishing requests in flight/, `the server shut down gracefully: ${stderr.slice(-1000)}`);
  } finally {
    for (const pid of below.filter(alive)) process.kill(pid, 'SIGKILL');
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
  }
});
