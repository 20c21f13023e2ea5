import { DebstashError } from '../errors/debstash-error.js';
import { type Paragraph, sameNameIgnoringCase } from './paragraph.js';

/*
 * The serializer is the exact inverse of the parser: it accepts precisely the names and values
 * that parseDeb822 can produce, and for those parse(serialize(p)) gives p back. Anything else
 * is refused rather than repaired, because writing it would produce a broken file or one that
 * reads back differently: a newline not followed by a blank would start a new field, a blank
 * continuation line would end the paragraph, and blanks the parser trims would be lost.
 *
 * In particular an empty line in a multi-line value is NOT silently turned into Policy's ` .`:
 * that encoding is Description-specific, and whoever builds such a value knows whether it
 * applies. Such values are rejected; build them with ` .` lines yourself.
 */

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const NL = 0x0a;

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** Writes one paragraph: `Name: value` lines, ending with '\n' (no blank line after it). */
export function serializeParagraph(p: Paragraph): string {
  const names = p.names;
  if (names.length === 0) {
    fail(p, undefined, 'an empty paragraph cannot be written (it would vanish on reading)');
  }
  checkNames(p);
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    // valueAt, not values: that would build and keep an array on every paragraph written.
    const value = p.valueAt(i);
    checkValue(p, name, value);
    // `Name:` alone when the value starts on the next line (Files, SHA256...) or is empty, so
    // canonical files round-trip byte for byte.
    out += value.length === 0 || value.charCodeAt(0) === NL ? `${name}:${value}\n` : `${name}: ${value}\n`;
  }
  return out;
}

/** Writes paragraphs separated by one blank line; the text ends with '\n' (or is empty). */
export function serializeDeb822(ps: Iterable<Paragraph>): string {
  // serializeParagraph returns a rope of small strings. Flattening a few hundred of them at a
  // time, while they are young, is much cheaper for the garbage collector than keeping every
  // piece of a whole index alive until one final join (or one growing `+=` rope).
  const batches: string[] = [];
  let batch: string[] = [];
  for (const p of ps) {
    batch.push(serializeParagraph(p));
    if (batch.length === 256) {
      batches.push(batch.join('\n'));
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch.join('\n'));
  return batches.join('\n');
}

function fail(p: Paragraph, field: string | undefined, why: string): never {
  const at = p.line > 0 ? `paragraph of line ${p.line}: ` : '';
  throw new DebstashError('DEBSTASH_E_DEB822_SYNTAX', `cannot write deb822: ${at}${why}`, {
    field: field === undefined ? undefined : clip(field),
    line: p.line > 0 ? p.line : undefined,
  });
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}

/**
 * Name arrays found valid. Only frozen ones are remembered (they cannot change afterwards):
 * the parser shares one frozen array among all paragraphs with the same field order, so a
 * whole index is checked once per order rather than once per paragraph.
 */
const validNames = new WeakSet<readonly string[]>();

function checkNames(p: Paragraph): void {
  const names = p.names;
  if (validNames.has(names)) return;
  for (const name of names) checkName(p, name);
  checkNoDuplicates(p);
  if (Object.isFrozen(names)) validNames.add(names);
}

/** Policy 5.1: US-ASCII without controls, space and colon; not starting with '#' or '-'. */
function checkName(p: Paragraph, name: string): void {
  if (name.length === 0) fail(p, name, 'a field name is empty');
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x3a) {
      fail(p, name, `field name ${JSON.stringify(clip(name))} contains ${JSON.stringify(name[i])}`);
    }
  }
  if (name[0] === '#' || name[0] === '-') {
    fail(p, name, `field name ${JSON.stringify(clip(name))} starts with '${name[0]}'`);
  }
}

function checkValue(p: Paragraph, name: string, value: string): void {
  const label = (): string => `value of ${JSON.stringify(clip(name))}`;
  let nl = value.indexOf('\n');
  const firstEnd = nl < 0 ? value.length : nl;
  if (firstEnd > 0 && (isBlank(value.charCodeAt(0)) || isBlank(value.charCodeAt(firstEnd - 1)))) {
    fail(p, name, `${label()} has blanks around its first line, which reading would drop`);
  }
  let line = 2;
  while (nl >= 0) {
    const start = nl + 1;
    nl = value.indexOf('\n', start);
    const end = nl < 0 ? value.length : nl;
    const c = value.charCodeAt(start);
    if (end === start || (c !== SPACE && c !== TAB)) {
      fail(p, name, `line ${line} of the ${label()} does not start with a space or tab, so it would not continue the field`);
    }
    if (isBlank(value.charCodeAt(end - 1))) {
      // With the leading blank, a line ending in a blank is either blank (it would end the
      // paragraph; Description uses ' .' for that) or has trailing blanks reading would drop.
      fail(p, name, `line ${line} of the ${label()} is blank or ends with blanks (write an empty line as " .")`);
    }
    line++;
  }
}

function checkNoDuplicates(p: Paragraph): void {
  const names = p.names;
  if (names.length <= 32) {
    for (let i = 1; i < names.length; i++) {
      for (let j = 0; j < i; j++) {
        if (sameNameIgnoringCase(names[i], names[j])) duplicate(p, names[i], names[j]);
      }
    }
    return;
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    const key = name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier !== undefined) duplicate(p, name, earlier);
    seen.set(key, name);
  }
}

function duplicate(p: Paragraph, name: string, earlier: string): never {
  throw new DebstashError(
    'DEBSTASH_E_DEB822_DUPLICATE_FIELD',
    `cannot write deb822: field ${JSON.stringify(clip(name))} repeats ${JSON.stringify(clip(earlier))}`,
    { field: clip(name), line: p.line > 0 ? p.line : undefined },
  );
}
