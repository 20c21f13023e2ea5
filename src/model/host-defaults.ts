import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readHostAptSources } from '../upstream/host-apt-sources.js';

const NODE_TO_DEBIAN: Readonly<Record<string, string>> = { x64: 'amd64', arm64: 'arm64', ia32: 'i386', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };

/** The host's Debian architecture: dpkg's answer where dpkg exists, else Node's, mapped. */
export function hostArchitecture(): string {
  try {
    return execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return NODE_TO_DEBIAN[process.arch] ?? process.arch;
  }
}

const sameUri = (a: string, b: string): boolean => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/**
 * The keys apt itself would trust for `url`: the Signed-By of a host source with that URI,
 * else apt's global trusted keyrings. Stored in the mirror so the choice is explicit.
 */
export async function hostKeyringsFor(url: string, root = '/'): Promise<string[]> {
  const sources = await readHostAptSources(root).catch(() => []);
  for (const s of sources) {
    if (s.signedBy !== undefined && s.signedBy.startsWith('/') && !s.signedBy.includes('\n') && s.uris.some((u) => sameUri(u, url))) {
      return [join(root, s.signedBy)];
    }
  }
  const out: string[] = [];
  const legacy = join(root, 'etc/apt/trusted.gpg');
  if (existsSync(legacy)) out.push(legacy);
  const dir = join(root, 'etc/apt/trusted.gpg.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) if (/\.(gpg|asc)$/.test(name)) out.push(join(dir, name));
  }
  return out;
}
