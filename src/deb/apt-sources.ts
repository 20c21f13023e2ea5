import { DebstashError } from '../errors/debstash-error.js';
import { parseDeb822 } from './deb822-parse.js';
import type { Paragraph } from './paragraph.js';

/** One entry of apt's source configuration, in the deb822 shape whatever format it came from. */
export interface AptSource {
  readonly types: readonly string[];
  readonly uris: readonly string[];
  readonly suites: readonly string[];
  readonly components: readonly string[];
  readonly architectures?: readonly string[];
  /** A keyring path, a fingerprint list, or an embedded armored key, as apt reads `Signed-By`. */
  readonly signedBy?: string;
  readonly enabled: boolean;
  /** Where it came from, for messages: `file:line`. */
  readonly origin: string;
}

function words(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(/\s+/).filter((w) => w !== '');
}

/** apt writes an embedded key's blank lines as " ."; this gives the armored text back. */
function signedByValue(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!raw.includes('\n')) return raw.trim();
  return raw
    .split('\n')
    .map((line) => line.trim())
    .map((line) => (line === '.' ? '' : line))
    .join('\n')
    .trim();
}

function fromParagraph(p: Paragraph, file: string): AptSource {
  const required = (name: string): string[] => {
    const list = words(p.get(name));
    if (list.length === 0) {
      throw new DebstashError('DEBSTASH_E_APT_SOURCES_INVALID', `${file}:${p.line}: the entry has no "${name}" field`, {
        file,
        line: p.line,
        field: name,
      });
    }
    return list;
  };
  const suites = required('Suites');
  // A suite ending in "/" is a flat repository, which has no components.
  const flat = suites.every((s) => s.endsWith('/'));
  const archs = words(p.get('Architectures'));
  return {
    types: required('Types'),
    uris: required('URIs'),
    suites,
    components: flat ? words(p.get('Components')) : required('Components'),
    ...(archs.length > 0 ? { architectures: archs } : {}),
    ...(p.has('Signed-By') ? { signedBy: signedByValue(p.get('Signed-By')) } : {}),
    enabled: (p.get('Enabled') ?? 'yes').trim().toLowerCase() !== 'no',
    origin: `${file}:${p.line}`,
  };
}

/** Parses a deb822 `.sources` file (comments allowed, as apt allows them). */
export function parseSourcesFile(text: string, file = '<sources>'): AptSource[] {
  return parseDeb822(text, { comments: true, source: file }).map((p) => fromParagraph(p, file));
}

/** Parses the one-line `sources.list` format: `deb [opt=val ...] URI SUITE [COMPONENT...]`. */
export function parseSourcesList(text: string, file = '<sources.list>'): AptSource[] {
  const out: AptSource[] = [];
  text.split('\n').forEach((rawLine, index) => {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (line === '') return;
    const m = /^(\S+)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$/.exec(line);
    const fail = (why: string): never => {
      throw new DebstashError('DEBSTASH_E_APT_SOURCES_INVALID', `${file}:${index + 1}: ${why}`, { file, line: index + 1 });
    };
    if (!m) return fail('expected "deb [options] URI SUITE [COMPONENT...]"');
    const [, type = '', optionText = '', uri = '', suite = '', rest = ''] = m;
    if (type !== 'deb' && type !== 'deb-src') return fail(`unknown type "${type}"`);
    const options = new Map<string, string>();
    for (const opt of words(optionText)) {
      const eq = opt.indexOf('=');
      if (eq > 0) options.set(opt.slice(0, eq).toLowerCase(), opt.slice(eq + 1));
    }
    const archs = options.get('arch')?.split(',').filter((a) => a !== '') ?? [];
    const signedBy = options.get('signed-by');
    out.push({
      types: [type],
      uris: [uri],
      suites: [suite],
      components: words(rest),
      ...(archs.length > 0 ? { architectures: archs } : {}),
      ...(signedBy !== undefined ? { signedBy } : {}),
      enabled: true,
      origin: `${file}:${index + 1}`,
    });
  });
  return out;
}
