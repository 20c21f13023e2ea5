import { basename } from 'node:path';
import { readDeb } from '../deb/deb-reader.js';
import { parseDeb822 } from '../deb/deb822-parse.js';
import { packagesStanza } from '../deb/packages-stanza.js';

/** What `repo add` needs of a .deb: its Packages stanza, identity and digest. Plain data: it crosses threads. */
export interface DebDescription {
  readonly kind: 'deb' | 'udeb';
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly filename: string;
  readonly stanza: string;
  readonly sha256: string;
  readonly size: number;
}

/** Reads the .deb at `path` (its bytes from `bytes`) for its control data and digests. */
export async function describeDeb(bytes: AsyncIterable<Uint8Array>, path: string): Promise<DebDescription> {
  const info = await readDeb(bytes, { source: path });
  const filename = basename(path);
  const stanza = packagesStanza(info, filename);
  const [control] = parseDeb822(stanza);
  return {
    kind: path.endsWith('.udeb') ? 'udeb' : 'deb',
    name: control?.get('Package') ?? '',
    version: control?.get('Version') ?? '',
    architecture: control?.get('Architecture') ?? '',
    filename,
    stanza,
    sha256: info.sha256,
    size: info.size,
  };
}

export async function* once(chunk: Uint8Array): AsyncIterable<Uint8Array> {
  yield chunk;
}
