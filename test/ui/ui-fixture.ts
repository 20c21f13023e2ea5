import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildDeb } from '../helpers/build-deb.js';
import { projectRoot } from '../helpers/project-root.js';
import { FILTER, type MirrorFixture, mirrorFixture } from '../model/mirror-fixture.js';

const run = promisify(execFile);
const bin = join(projectRoot, 'bin/debstash.js');

/**
 * A real `debstash serve` on 127.0.0.1 over a data dir with a mirror of the fixture archive,
 * two snapshots that differ (s1 the mirror, s2 with libfoo1 upgraded and a package added),
 * `testing` published from s1, and a write token.
 */
export interface UiFixture {
  readonly url: string;
  readonly dataDir: string;
  readonly token: string;
  readonly dir: string;
  /** A .deb in no repo yet, for an upload. */
  readonly extraDeb: string;
  cli(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function uiFixture(): Promise<UiFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-ui-'));
  const dataDir = join(dir, 'data');
  let fx: MirrorFixture | undefined;
  let server: ChildProcess | undefined;
  const env = { ...process.env, DEBSTASH_DATA_DIR: dataDir };
  const cli = async (...args: string[]): Promise<string> => (await run(process.execPath, [bin, ...args], { env, maxBuffer: 1 << 24 })).stdout;
  const close = async (): Promise<void> => {
    if (server !== undefined && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
    await fx?.close();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    fx = await mirrorFixture();
    await cli('key', 'generate', '--name', 'UI Test Publisher');
    await cli('mirror', 'create', 'fixture', fx.server.url, 'testing', 'main', '--arch', 'amd64', '--filter', FILTER, '--with-deps', '--keyring', fx.key.keyring);
    await cli('mirror', 'update', 'fixture');
    await cli('snapshot', 'create', 's1', '--from-mirror', 'fixture');
    const debs = join(dir, 'debs');
    await buildDeb(debs, { name: 'libfoo1', version: '1.3-1', architecture: 'amd64', depends: 'libfoo-common (= 1.2-1)', extraFields: { 'Multi-Arch': 'same' }, files: { 'usr/share/doc/libfoo1/NEWS': { randomBytes: 4000 } } }, { compression: 'none' });
    await buildDeb(debs, { name: 'fresh-tool', version: '0.1', architecture: 'amd64', depends: 'libfoo1 (>= 1.3)' }, { compression: 'xz' });
    const extraDeb = await buildDeb(join(dir, 'upload'), { name: 'uploaded-tool', version: '2.0', architecture: 'amd64' }, { compression: 'xz' });
    await cli('repo', 'create', 'extras');
    await cli('repo', 'add', 'extras', debs);
    await cli('snapshot', 'create', 'extras-1', '--from-repo', 'extras');
    await cli('snapshot', 'merge', 's2', 's1', 'extras-1', '--latest');
    await cli('publish', 'snapshot', 's1', '--dist', 'testing');
    const token = (await cli('token', 'create', '--scope', 'write', '--name', 'ui-test')).trim().split(/\s+/).find((w) => w.startsWith('dst_')) ?? '';
    if (token === '') throw new Error('token create printed no secret');
    server = spawn(process.execPath, [bin, 'serve', '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let url: string | undefined;
    for (let i = 0; i < 300 && url === undefined; i++) {
      const file = await readFile(join(dataDir, 'server.json'), 'utf8').catch(() => undefined);
      if (file !== undefined) url = (JSON.parse(file) as { url: string }).url;
      else if (server.exitCode !== null) throw new Error(`serve exited: ${stderr}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (url === undefined) throw new Error('serve did not write server.json in 15 s');
    return { url, dataDir, token, dir, extraDeb, cli, close };
  } catch (err) {
    await close();
    throw err;
  }
}
