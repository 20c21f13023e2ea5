import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A real apt client that touches nothing of the host's: its own Dir, an empty dpkg status, no
 * lock. `sources` is the deb822 text of its one `.sources` file.
 */
export class IsolatedApt {
  private constructor(readonly dir: string) {}

  static async create(sources: string): Promise<IsolatedApt> {
    const dir = await mkdtemp(join(tmpdir(), 'debstash-apt-'));
    for (const d of ['etc/apt/sources.list.d', 'etc/apt/apt.conf.d', 'etc/apt/preferences.d', 'etc/apt/trusted.gpg.d', 'var/lib/apt/lists/partial', 'var/cache/apt/archives/partial', 'var/lib/dpkg', 'var/log/apt']) {
      await mkdir(join(dir, d), { recursive: true });
    }
    await writeFile(join(dir, 'var/lib/dpkg/status'), '');
    await writeFile(join(dir, 'etc/apt/sources.list.d/debstash.sources'), sources);
    return new IsolatedApt(dir);
  }

  /** Runs apt-get with the isolation options; resolves with its output, rejects with it on failure. */
  async aptGet(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    const d = this.dir;
    return run(
      'apt-get',
      ['-o', `Dir=${d}`, '-o', `Dir::State::status=${d}/var/lib/dpkg/status`, '-o', 'Debug::NoLocking=1', '-o', 'APT::Sandbox::User=root', '-q', ...args],
      { maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } },
    );
  }

  async close(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}
