/** One field of a control paragraph (continuation lines joined), or undefined. */
export function field(stanza: string, name: string): string | undefined {
  const lines = stanza.split('\n');
  const lower = `${name.toLowerCase()}:`;
  const i = lines.findIndex((l) => l.toLowerCase().startsWith(lower));
  if (i < 0) return undefined;
  let value = (lines[i] ?? '').slice(lower.length).trim();
  for (let j = i + 1; j < lines.length && /^[ \t]/.test(lines[j] ?? ''); j++) value += `\n${(lines[j] ?? '').trim()}`;
  return value;
}

export function fields(stanza: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of stanza.split('\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && out.length > 0) {
      const last = out[out.length - 1];
      if (last) last[1] += `\n${line.trim() === '.' ? '' : line.trim()}`;
    } else {
      const c = line.indexOf(':');
      if (c > 0) out.push([line.slice(0, c), line.slice(c + 1).trim()]);
    }
  }
  return out;
}

export interface Alternative {
  readonly name: string;
  readonly text: string;
}

/** "a (>= 1) | b, c:any" as groups of alternatives, each with the package name to link. */
export function parseRelations(value: string): Alternative[][] {
  return value
    .split(',')
    .map((group) =>
      group
        .split('|')
        .map((alt) => alt.trim())
        .filter((alt) => alt !== '')
        .map((alt) => ({ name: (/^[^\s(:[<]+/.exec(alt)?.[0] ?? alt).trim(), text: alt })),
    )
    .filter((g) => g.length > 0);
}

export const RELATION_FIELDS = ['Pre-Depends', 'Depends', 'Recommends', 'Suggests', 'Enhances', 'Breaks', 'Conflicts', 'Replaces', 'Provides'];

/** The relation fields that make a package a reverse dependency of another. */
export const REVERSE_FIELDS = ['Pre-Depends', 'Depends', 'Recommends'];
