import { publishError } from './publish-error.js';

/*
 * Index stanzas are kept as serialized deb822 text (what the store holds), and publishing
 * touches one or two single-line fields of each, tens of thousands of times: these work on the
 * text directly, without parsing the paragraph. Field names are matched without regard to
 * ASCII case; continuation lines start with a blank, so they never match a field name.
 */

/** Start of the line holding field `name` (at the start of a line), or -1. */
function fieldLine(stanza: string, name: string): number {
  const n = name.length;
  let at = 0;
  while (at < stanza.length) {
    if (stanza.charCodeAt(at + n) === 0x3a /* : */ && sameAscii(stanza, at, name)) return at;
    const nl = stanza.indexOf('\n', at);
    if (nl < 0) return -1;
    at = nl + 1;
  }
  return -1;
}

function sameAscii(s: string, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const a = s.charCodeAt(at + i);
    const b = name.charCodeAt(i);
    if (a === b) continue;
    const la = a | 0x20;
    if (la !== (b | 0x20) || la < 0x61 || la > 0x7a) return false;
  }
  return true;
}

/** The value on the first line of field `name` (trimmed), or undefined. */
export function stanzaField(stanza: string, name: string): string | undefined {
  const at = fieldLine(stanza, name);
  if (at < 0) return undefined;
  const nl = stanza.indexOf('\n', at);
  return stanza.slice(at + name.length + 1, nl < 0 ? stanza.length : nl).trim();
}

/**
 * The stanza with single-line field `name` set to `value`: its line replaced, or appended. A
 * multi-line field of that name has its continuation lines dropped (Filename and Directory
 * never have any).
 */
export function withStanzaField(stanza: string, name: string, value: string): string {
  const at = fieldLine(stanza, name);
  const line = `${name}: ${value}\n`;
  if (at < 0) return stanza + line;
  let end = stanza.indexOf('\n', at);
  while (end >= 0 && (stanza.charCodeAt(end + 1) === 0x20 || stanza.charCodeAt(end + 1) === 0x09)) end = stanza.indexOf('\n', end + 1);
  return stanza.slice(0, at) + line + (end < 0 ? '' : stanza.slice(end + 1));
}

/**
 * A stored stanza as one index paragraph: ends with exactly one newline and holds no blank
 * line (which would split it in two in the index).
 */
export function normalizedStanza(stanza: string, what: () => string): string {
  let end = stanza.length;
  while (end > 0 && stanza.charCodeAt(end - 1) === 0x0a) end--;
  const text = stanza.slice(0, end);
  if (text === '' || text.includes('\n\n') || text.includes('\r') || text.charCodeAt(0) === 0x20 || text.charCodeAt(0) === 0x09) {
    throw publishError('conflict', `${what()}: the stored index paragraph is empty or malformed`, { package: what() });
  }
  // Stored stanzas usually end with one newline already: no copy of 20,000 paragraphs then.
  return end === stanza.length - 1 ? stanza : `${text}\n`;
}
