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

/** One suite of the host's apt configuration, as a mirror takes it. */
export interface HostUpstream {
  readonly uri: string;
  readonly suite: string;
  readonly components: readonly string[];
  readonly signedBy?: string;
  readonly origin: string;
}

/**
 * Every suite of the host's enabled binary (`deb`) sources, in apt's order: the first is the
 * base (e.g. bookworm), the rest are what the host adds to it (bookworm-updates,
 * bookworm-security, a vendor's suite). A suite named twice keeps its first source (a second
 * one is an alternative location of the same suite); flat repositories (`./`) have no suite
 * name a publish could take and are left out.
 */
export async function hostUpstreams(root = '/'): Promise<HostUpstream[]> {
  const out: HostUpstream[] = [];
  for (const src of await readHostAptSources(root)) {
    const uri = src.uris[0];
    if (!src.enabled || !src.types.includes('deb') || uri === undefined) continue;
    for (const suite of src.suites) {
      if (suite.endsWith('/') || out.some((u) => u.suite === suite)) continue;
      out.push({
        uri: uri.replace(/\/+$/, ''),
        suite,
        components: src.components,
        ...(src.signedBy !== undefined ? { signedBy: src.signedBy } : {}),
        origin: src.origin,
      });
    }
  }
  if (out.length === 0) {
    throw new DebstashError('DEBSTASH_E_NO_APT_SOURCE', `no enabled "deb" source in ${join(root, 'etc/apt')}`, { root });
  }
  return out;
}

/** The host's base suite: what a mirror without url takes. */
export async function firstHostUpstream(root = '/'): Promise<HostUpstream> {
  const [first] = await hostUpstreams(root);
  return first as HostUpstream;
}
