import { copyFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createReadStream, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { HostUpstream } from '../../src/upstream/host-apt-sources.js';
import { debootstrapTarball } from '../helpers/debootstrap-tarball.js';
import { mustRun } from './run-tool.js';

/**
 * Base images made on this machine, because no container registry is reachable: Debian from
 * the archive of the host's apt configuration (debootstrap), and Node.js 20 by copying the
 * host's own Node into it, laid out as the official node image has it (/usr/local).
 */

export const DEBIAN_IMAGE = 'localhost/debian:bookworm-slim';
export const NODE_IMAGE = 'localhost/node:20-bookworm-slim';
const SUITE = 'bookworm';
const APT_ETC = '/etc/apt';

/** debootstrap results kept for the day: a second local run saves its ~50 s. */
const CACHE_ROOT = join(tmpdir(), 'debstash-test-cache', 'container');

function debianTarball(upstream: HostUpstream): Promise<{ path: string; cached: boolean }> {
  return debootstrapTarball(upstream, {
    suite: SUITE,
    cacheRoot: CACHE_ROOT,
    // The image's apt configuration is the host's (suites, -updates, -security, keyrings), as
    // the official image's is Debian's.
    configure: async (rootfs) => {
      for (const name of await readdir(join(APT_ETC, 'sources.list.d'))) {
        if (name.endsWith('.sources')) await copyFile(join(APT_ETC, 'sources.list.d', name), join(rootfs, 'etc/apt/sources.list.d', name));
      }
    },
  });
}

/** `localhost/debian:bookworm-slim` in `env`'s engine; says whether debootstrap ran or the cache served. */
export async function importDebianImage(env: NodeJS.ProcessEnv, upstream: HostUpstream): Promise<{ cached: boolean }> {
  const tarball = await debianTarball(upstream);
  await mustRun('docker', ['import', '--change', 'CMD ["bash"]', '-', DEBIAN_IMAGE], { env, timeoutMs: 5 * 60_000, input: createReadStream(tarball.path) });
  return { cached: tarball.cached };
}

/** Files the host's npm needs to reach its registry: a global npmrc and the CA bundles it names. */
async function npmTrust(prefix: string): Promise<{ npmrc?: string; caFiles: string[] }> {
  const npmrc = join(prefix, 'etc/npmrc');
  const text = existsSync(npmrc) ? await readFile(npmrc, 'utf8') : '';
  const cafile = /^\s*cafile\s*=\s*(\S+)/m.exec(text)?.[1];
  const caFiles = [...new Set([cafile, process.env.NODE_EXTRA_CA_CERTS].filter((f): f is string => f !== undefined && existsSync(f)))];
  return { ...(text !== '' ? { npmrc } : {}), caFiles };
}

/**
 * `localhost/node:20-bookworm-slim`: the Debian image plus the node binary running this test
 * (self-contained but for libc/libstdc++), its headers (node-gyp builds against them, no
 * download) and npm; also the host's global npmrc and CA bundles, so npm in a build reaches
 * the registry the way it does on this machine.
 */
export async function buildNodeImage(env: NodeJS.ProcessEnv): Promise<void> {
  const prefix = dirname(dirname(process.execPath));
  const ctx = await mkdtemp(join(tmpdir(), 'debstash-node-image-'));
  try {
    await copyFile(process.execPath, join(ctx, 'node'));
    await cp(join(prefix, 'include/node'), join(ctx, 'include'), { recursive: true });
    await cp(join(prefix, 'lib/node_modules/npm'), join(ctx, 'npm'), { recursive: true, verbatimSymlinks: true });
    const trust = await npmTrust(prefix);
    const lines = [
      `FROM ${DEBIAN_IMAGE}`,
      'COPY node /usr/local/bin/node',
      'COPY include /usr/local/include/node',
      'COPY npm /usr/local/lib/node_modules/npm',
    ];
    if (trust.npmrc !== undefined) {
      await copyFile(trust.npmrc, join(ctx, 'npmrc'));
      lines.push('COPY npmrc /usr/local/etc/npmrc');
    }
    for (const [i, file] of trust.caFiles.entries()) {
      await copyFile(file, join(ctx, `ca-${i}`));
      lines.push(`COPY ca-${i} ${file}`);
    }
    if (process.env.NODE_EXTRA_CA_CERTS !== undefined && trust.caFiles.includes(process.env.NODE_EXTRA_CA_CERTS)) lines.push(`ENV NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS}`);
    lines.push(
      'RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx',
      'CMD ["node"]',
    );
    await writeFile(join(ctx, 'Dockerfile'), `${lines.join('\n')}\n`);
    await mustRun('docker', ['build', '-q', '--network', 'none', '-t', NODE_IMAGE, ctx], { env, timeoutMs: 5 * 60_000 });
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}
