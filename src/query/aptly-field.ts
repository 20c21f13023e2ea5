import type { QueryTarget } from './query-target.js';

/**
 * A field as aptly's queries see it (aptly 1.5 deb.Package.GetField), so that a filter
 * selects the same packages here as in aptly. aptly does not look at the control paragraph
 * directly but at the package record it built from it, and that shows in five ways:
 *
 * 1. Names are matched exactly against aptly's canonical spelling (`Installed-Size`,
 *    `Multi-Arch`, `SHA256`): `Priority` finds a `priority:` field, `PRIORITY` finds nothing.
 * 2. Fields aptly moves into its own records are invisible: `Package` (use `Name`), `Filename`,
 *    `Size`, `MD5sum`, `SHA1`, `SHA256`, `SHA512` for binaries; `Package`, `Files` and
 *    `Checksums-*` for sources.
 * 3. Relation fields it parses (Depends, Pre-Depends, Recommends, Suggests, Provides for
 *    binaries; Build-Depends, Build-Depends-Indep for sources) read back as their items, trimmed,
 *    joined with ", "; the same names on the other package type read as empty.
 * 4. Folded single-line fields join their lines with one space.
 * 5. Multi-line fields (Description, Files, Checksums-*, Package-List, Changes) keep aptly's raw
 *    form: a space before the first line and a newline after every line, so
 *    `Description (~ ^foo)` never matches and `Description (% *foo*)` does.
 *
 * An absent field reads as "". Special fields: `Name`, `Version`, `Architecture` (a source's
 * Architecture field, not `source`), `Source` ("" for sources), `$Source`, `$SourceVersion`,
 * `$Architecture`, `$PackageType`; other `$...` read as "".
 */
export type AptlyFieldReader = (pkg: QueryTarget) => string;

const BINARY_RELATIONS = new Set(['Depends', 'Pre-Depends', 'Suggests', 'Recommends', 'Provides']);
const SOURCE_RELATIONS = new Set(['Build-Depends', 'Build-Depends-Indep']);
const BINARY_HIDDEN = new Set(['Package', 'Filename', 'Size', 'MD5sum', 'MD5Sum', 'SHA1', 'SHA256', 'SHA512']);
const SOURCE_HIDDEN = new Set(['Package', 'Files', 'Checksums-Sha1', 'Checksums-Sha256', 'Checksums-Sha512']);
const MULTILINE = new Set(['Description', 'Files', 'Changes', 'Checksums-Sha1', 'Checksums-Sha256', 'Checksums-Sha512', 'Package-List']);

/** aptly's canonicalCase: how it spells a field name it reads from a control file. */
export function aptlyCanonicalFieldName(name: string): string {
  if (name === 'MD5sum') return name;
  switch (name.toUpperCase()) {
    case 'SHA1':
      return 'SHA1';
    case 'SHA256':
      return 'SHA256';
    case 'SHA512':
      return 'SHA512';
    case 'MD5SUM':
      return 'MD5Sum';
    case 'NOTAUTOMATIC':
      return 'NotAutomatic';
    case 'BUTAUTOMATICUPGRADES':
      return 'ButAutomaticUpgrades';
    default:
      break;
  }
  let out = '';
  let startOfWord = true;
  for (const ch of name) {
    out += startOfWord ? simpleUpper(ch) : simpleLower(ch);
    startOfWord = ch === '-';
  }
  return out;
}

/** Go's unicode.ToUpper maps one code point to one; JavaScript may give several (ß → SS). */
function simpleUpper(ch: string): string {
  const u = ch.toUpperCase();
  return [...u].length === 1 ? u : ch;
}

function simpleLower(ch: string): string {
  const l = ch.toLowerCase();
  return [...l].length === 1 ? l : ch;
}

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Go's strings.TrimSpace (Unicode White_Space, like unicode.IsSpace). */
function goTrim(s: string): string {
  if (s === '') return s;
  // Values are read per package per query: skip the regexp in the usual already-trimmed case.
  const first = s.charCodeAt(0);
  const last = s.charCodeAt(s.length - 1);
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return s;
  return s.replace(GO_SPACE, '');
}

/** aptly's value of a one-line field: continuation lines trimmed and joined with a space. */
export function aptlySingleLine(raw: string | undefined): string {
  if (raw === undefined) return '';
  if (!raw.includes('\n')) return goTrim(raw);
  const lines = raw.split('\n');
  let out = goTrim(lines[0]!);
  for (let i = 1; i < lines.length; i++) out += ` ${goTrim(lines[i]!)}`;
  return out;
}

function aptlyMultiLine(raw: string | undefined): string {
  if (raw === undefined) return '';
  if (!raw.includes('\n')) return raw === '' ? '' : ` ${raw}\n`;
  const lines = raw.split('\n');
  // aptly keeps what follows the colon as is; every control file writer puts one space there.
  let out = lines[0] === '' ? '' : ` ${lines[0]}\n`;
  for (let i = 1; i < lines.length; i++) out += `${lines[i]}\n`;
  return out;
}

function aptlyRelationList(raw: string | undefined): string {
  if (raw === undefined) return '';
  return aptlySingleLine(raw).split(',').map(goTrim).join(', ');
}

/**
 * Whether `name` is one of aptly's Provides items: the raw text of an item, trimmed, so
 * `foo (= 1.0)` provides `"foo (= 1.0)"` and not `foo`.
 */
export function aptlyProvides(pkg: QueryTarget, name: string): boolean {
  if (pkg.packageType === 'source') return false;
  const raw = pkg.field('Provides');
  // Most packages provide nothing, or nothing like `name`: skip the split for them.
  if (raw === undefined || !raw.includes(name)) return false;
  return aptlySingleLine(raw).split(',').some((item) => goTrim(item) === name);
}

function sourceField(pkg: QueryTarget): string {
  return pkg.packageType === 'source' ? '' : aptlySingleLine(pkg.field('Source'));
}

/** Resolves a query's field name once, at compile time, to a reader of aptly's view. */
export function aptlyFieldReader(field: string): AptlyFieldReader {
  switch (field) {
    case '$Source':
      return (pkg) => {
        if (pkg.packageType === 'source') return '';
        const source = sourceField(pkg);
        if (source === '') return pkg.name;
        const paren = source.indexOf('(');
        return paren >= 0 ? goTrim(source.slice(0, paren)) : source;
      };
    case '$SourceVersion':
      return (pkg) => {
        if (pkg.packageType === 'source') return '';
        const source = sourceField(pkg);
        const open = source.indexOf('(');
        const close = source.lastIndexOf(')');
        return open >= 0 && close > open ? goTrim(source.slice(open + 1, close)) : pkg.version;
      };
    case '$Architecture':
      return (pkg) => pkg.architecture;
    case '$PackageType':
      return (pkg) => pkg.packageType;
    case 'Name':
      return (pkg) => pkg.name;
    case 'Version':
      return (pkg) => pkg.version;
    case 'Architecture':
      return (pkg) => (pkg.packageType === 'source' ? aptlySingleLine(pkg.field('Architecture')) : pkg.architecture);
    case 'Source':
      return sourceField;
    default:
      break;
  }
  if (field.startsWith('$') || aptlyCanonicalFieldName(field) !== field) return () => '';
  if (BINARY_RELATIONS.has(field)) {
    return (pkg) => (pkg.packageType === 'source' ? '' : aptlyRelationList(pkg.field(field)));
  }
  if (SOURCE_RELATIONS.has(field)) {
    return (pkg) => (pkg.packageType === 'source' ? aptlyRelationList(pkg.field(field)) : '');
  }
  const hiddenForBinary = BINARY_HIDDEN.has(field);
  const hiddenForSource = SOURCE_HIDDEN.has(field);
  const read = MULTILINE.has(field) ? aptlyMultiLine : aptlySingleLine;
  return (pkg) => {
    if (pkg.packageType === 'source' ? hiddenForSource : hiddenForBinary) return '';
    return read(pkg.field(field));
  };
}
