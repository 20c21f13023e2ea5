import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstHostUpstream, type HostUpstream } from '../src/upstream/host-apt-sources.js';

/** Cached downloads live outside git, in the project's ignored .cache/. */
export const cacheDir = fileURLToPath(new URL('../../.cache/bench/', import.meta.url));

export interface BenchUpstream extends HostUpstream {
  readonly component: string;
  readonly arch: string;
}

/** The archive of the machine's own apt configuration; never a name written in the code. */
export async function benchUpstream(): Promise<BenchUpstream> {
  const up = await firstHostUpstream();
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  return { ...up, component: up.components[0] ?? 'main', arch };
}

/** Downloads `dists/SUITE/PATH` once; later runs reuse the cached copy. */
export async function cachedIndex(up: BenchUpstream, path: string): Promise<string> {
  const file = join(cacheDir, `${up.suite}_${path.replaceAll('/', '_')}`);
  if (existsSync(file)) return file;
  const url = `${up.uri}/dists/${up.suite}/${path}`;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${file}.part`, Buffer.from(await res.arrayBuffer()));
  await rename(`${file}.part`, file);
  return file;
}
