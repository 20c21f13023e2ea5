/**
 * A Debian root made by debootstrap (minbase) from the archive of the host's apt
 * configuration, as a tarball kept for the day under `cacheRoot`: only the first run of the day
 * pays for debootstrap (a minute or two). Shared by the container test's base image and the
 * trixie root of the apt time travel test.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostUpstream } from '../../src/upstream/host-apt-sources.js';
import { mustRun } from '../container/run-tool.js';

export async function debootstrapTarball(
  upstream: HostUpstream,
  options: {
    readonly suite: string;
    readonly cacheRoot: string;
    /** Adjusts the root before it is packed (its apt sources, say); sources.list is gone by then. */
    readonly configure?: (rootfs: string) => Promise<void>;
  },
): Promise<{ path: string; cached: boolean }> {
  const { suite, cacheRoot } = options;
  const day = new Date().toISOString().slice(0, 10);
  const path = join(cacheRoot, day, `debian-${suite}-minbase.tar`);
  if (existsSync(path)) return { path, cached: true };
  await mkdir(dirname(path), { recursive: true });
  for (const old of await readdir(cacheRoot)) if (old !== day) await rm(join(cacheRoot, old), { recursive: true, force: true });
  const rootfs = await mkdtemp(join(tmpdir(), 'debstash-rootfs-'));
  try {
    const keyring = upstream.signedBy !== undefined && existsSync(upstream.signedBy) ? [`--keyring=${upstream.signedBy}`] : [];
    await mustRun('debootstrap', ['--variant=minbase', ...keyring, suite, rootfs, upstream.uri], { timeoutMs: 10 * 60_000 });
    await rm(join(rootfs, 'etc/apt/sources.list'), { force: true });
    await options.configure?.(rootfs);
    // No package lists or downloaded .debs inside.
    for (const dir of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
      for (const name of await readdir(join(rootfs, dir))) if (name !== 'partial' && name !== 'lock') await rm(join(rootfs, dir, name), { recursive: true, force: true });
    }
    await writeFile(join(rootfs, 'etc/resolv.conf'), '');
    await mustRun('tar', ['-C', rootfs, '-cf', `${path}.partial`, '.'], { timeoutMs: 5 * 60_000 });
    await rename(`${path}.partial`, path);
    return { path, cached: false };
  } finally {
    await rm(rootfs, { recursive: true, force: true });
  }
}
