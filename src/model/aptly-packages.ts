import { parseDeb822 } from '../deb/deb822-parse.js';
import type { Paragraph } from '../deb/paragraph.js';
import { DebstashError } from '../errors/debstash-error.js';

/** One package of aptly's database: its stanza as aptly keeps it and where its files are. */
export interface AptlyPackage {
  /** `name_version_arch`, how aptly's lists name packages. */
  readonly key: string;
  readonly paragraph: Paragraph;
  /** Absolute paths in aptly's pool, as `package show -with-files` prints them. */
  readonly poolFiles: readonly string[];
}

const FILES_HEADER = 'Files in the pool:';

/**
 * Parses `aptly package show -with-files QUERY`: per package its stanza, a blank line,
 * "Files in the pool:" and one indented path a line, then a blank line.
 */
export function parseAptlyPackages(text: string): Map<string, AptlyPackage> {
  const out = new Map<string, AptlyPackage>();
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && lines[i]?.trim() === '') i++;
    if (i >= lines.length) break;
    const stanza: string[] = [];
    while (i < lines.length && lines[i] !== '' && lines[i] !== FILES_HEADER) stanza.push(lines[i++] as string);
    while (i < lines.length && lines[i] === '') i++;
    const poolFiles: string[] = [];
    if (lines[i] === FILES_HEADER) {
      i++;
      while (i < lines.length && /^\s+\S/.test(lines[i] ?? '')) poolFiles.push((lines[i++] as string).trim());
    }
    const [paragraph] = parseDeb822(`${stanza.join('\n')}\n`);
    if (paragraph === undefined) continue;
    const key = `${paragraph.get('Package') ?? ''}_${paragraph.get('Version') ?? ''}_${paragraph.get('Architecture') ?? ''}`;
    const seen = out.get(key);
    // aptly keeps two packages of one name, version and architecture apart by their files, but
    // its lists name them alike: which of the two a snapshot holds cannot be told.
    if (seen !== undefined && seen.paragraph.get('SHA256') !== paragraph.get('SHA256')) {
      throw new DebstashError('DEBSTASH_E_APTLY_READ', `aptly's database holds two different packages ${key}; remove one with "aptly db cleanup" or "aptly repo remove" first`, { package: key });
    }
    out.set(key, { key, paragraph, poolFiles });
  }
  return out;
}
