import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { contentsIndexText } from '../deb/contents-index.js';
import { DEFAULT_GZIP_LEVEL } from './chunk-codec.js';
import type { ContentsSource } from './contents-cache.js';
import { digestOf } from './file-digest.js';
import type { TreeFile } from './index-files.js';
import type { PlannedIndex } from './publish-plan.js';
import type { Generation } from './publish-state.js';
import { paragraphText } from './publish-plan.js';
import { stanzaField } from './stanza-text.js';

const gzip = promisify(gzipCallback);

/** A binary index's `COMPONENT/Contents-ARCH.gz`, and the SHA-256 of its uncompressed text. */
export interface ContentsFile {
  readonly file: TreeFile;
  readonly textSha256: string;
  /** The same file as a generation still served: nothing compressed or written. */
  readonly unchanged: boolean;
}

/** Where Debian puts the Contents of a binary index: beside the component's directories. */
export function contentsPath(index: PlannedIndex): string {
  return `${index.component}/Contents-${index.architecture}.gz`;
}

/**
 * Makes the Contents index of the packages of `index` (a `packages` index: Debian keeps udebs'
 * in Contents-udeb-ARCH, which this does not write). Only gzip, as Debian serves it. A text
 * a kept generation already published (recorded by its SHA-256 in the generation) is taken
 * from there, so an unchanged Contents costs the file lists and no compression.
 */
export async function makeContentsFile(
  index: PlannedIndex,
  source: ContentsSource,
  generations: readonly Generation[],
  options: { readonly md5: boolean; readonly gzipLevel?: number },
): Promise<ContentsFile> {
  const packages = await Promise.all(
    index.paragraphs.map(async (paragraph, i) => {
      const stanza = paragraphText(paragraph);
      return {
      name: index.names[i] as string,
      section: stanzaField(stanza, 'Section') ?? '',
      paths: await source.pathsOf(index.sha256s[i] as string, stanzaField(stanza, 'Filename') ?? index.names[i] ?? 'a package'),
      };
    }),
  );
  const text = Buffer.from(contentsIndexText(packages), 'utf8');
  const textSha256 = createHash('sha256').update(text).digest('hex');
  const path = contentsPath(index);
  for (let i = generations.length - 1; i >= 0; i--) {
    const g = generations[i] as Generation;
    const digest = g.files[path];
    if (g.contents?.[path] !== textSha256 || digest === undefined || (options.md5 && digest.md5 === '')) continue;
    return { file: { path, digest, data: undefined }, textSha256, unchanged: true };
  }
  const gz = await gzip(text, { level: options.gzipLevel ?? DEFAULT_GZIP_LEVEL });
  return { file: { path, digest: digestOf(gz, options.md5), data: [gz] }, textSha256, unchanged: false };
}
