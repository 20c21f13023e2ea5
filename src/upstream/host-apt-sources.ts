import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AptSource, parseSourcesFile, parseSourcesList } from '../deb/apt-sources.js';
import { DebstashError } from '../errors/debstash-error.js';

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Reads the machine's apt source configuration in apt's order: `sources.list`, then the files
 * of `sources.list.d` by name. `root` lets tests point at a fake `/`.
 */
export async function readHostAptSources(root = '/'): Promise<AptSource[]> {
  const etc = join(root, 'etc/apt');
  const sources: AptSource[] = [];
  const main = await readIfPresent(join(etc, 'sources.list'));
  if (main !== undefined) sources.push(...parseSourcesList(main, join(etc, 'sources.list')));
  let parts: string[] = [];
  try {
    parts = (await readdir(join(etc, 'sources.list.d'))).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (const name of parts) {
    const path = join(etc, 'sources.list.d', name);
    if (name.endsWith('.sources')) sources.push(...parseSourcesFile(await readFile(path, 'utf8'), path));
    else if (name.endsWith('.list')) sources.push(...parseSourcesList(await readFile(path, 'utf8'), path));
  }
  return sources;
}

/** The upstream the embedded default mirrors: the first enabled binary (`deb`) source. */
export interface HostUpstream {
  readonly uri: string;
  readonly suite: string;
  readonly components: readonly string[];
  readonly signedBy?: string;
  readonly origin: string;
}

export async function firstHostUpstream(root = '/'): Promise<HostUpstream> {
  const sources = await readHostAptSources(root);
  const src = sources.find((s) => s.enabled && s.types.includes('deb'));
  const uri = src?.uris[0];
  const suite = src?.suites[0];
  if (src === undefined || uri === undefined || suite === undefined) {
    throw new DebstashError('DEBSTASH_E_NO_APT_SOURCE', `no enabled "deb" source in ${join(root, 'etc/apt')}`, {
      root,
    });
  }
  return {
    uri: uri.replace(/\/+$/, ''),
    suite,
    components: src.components,
    ...(src.signedBy !== undefined ? { signedBy: src.signedBy } : {}),
    origin: src.origin,
  };
}
