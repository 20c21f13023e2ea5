/**
 * A Debian 13 (trixie) root made by debootstrap from the archive of the host's apt
 * configuration, to run trixie's own apt (≥ 2.7: `apt update --snapshot`) with chroot; the
 * host's apt may be older. The debootstrap result is kept as a tarball for the day (as the
 * container test keeps its base image), so only the first run of the day pays for it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostUpstream } from '../../src/upstream/host-apt-sources.js';
import { mustRun, runTool, type ToolResult } from '../container/run-tool.js';
import { debootstrapTarball } from './debootstrap-tarball.js';

const SUITE = 'trixie';
const CACHE_ROOT = join(tmpdir(), 'debstash-test-cache', 'trixie-chroot');

export interface TrixieChroot {
  /** The root directory. */
  readonly dir: string;
  /** Runs a command inside it as root, whatever its exit code. */
  run(args: readonly string[], timeoutMs?: number): Promise<ToolResult>;
  close(): Promise<void>;
}

/** Why a trixie root cannot be made here, or undefined when it can. */
export async function trixieUnavailable(upstream: HostUpstream): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'chroot and debootstrap need root';
  if (!existsSync('/usr/sbin/debootstrap')) return 'debootstrap is not installed';
  try {
    const res = await fetch(`${upstream.uri}/dists/${SUITE}/InRelease`, { method: 'HEAD', signal: AbortSignal.timeout(5000) });
    return res.ok ? undefined : `the archive in the apt configuration has no ${SUITE} (HTTP ${res.status})`;
  } catch (err) {
    return `the archive in the apt configuration does not answer (${(err as Error).message})`;
  }
}

/** A fresh trixie root of its own (unpacked from the day's tarball, made first if need be). */
export async function trixieChroot(upstream: HostUpstream): Promise<{ chroot: TrixieChroot; cached: boolean; ms: number }> {
  const t0 = performance.now();
  const { path, cached } = await debootstrapTarball(upstream, { suite: SUITE, cacheRoot: CACHE_ROOT });
  const dir = await mkdtemp(join(tmpdir(), 'debstash-trixie-root-'));
  await mustRun('tar', ['-C', dir, '-xf', path], { timeoutMs: 5 * 60_000 });
  const chroot: TrixieChroot = {
    dir,
    run: (args, timeoutMs = 60_000) => runTool('chroot', [dir, ...args], { timeoutMs, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', DEBIAN_FRONTEND: 'noninteractive' } }),
    close: () => rm(dir, { recursive: true, force: true }),
  };
  return { chroot, cached, ms: performance.now() - t0 };
}
