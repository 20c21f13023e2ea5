import { DebstashError } from '../errors/debstash-error.js';
import type { DebInfo } from './deb-reader.js';
import { parseDeb822 } from './deb822-parse.js';

/**
 * Field order of a Packages index paragraph, as dpkg-scanpackages writes it (dpkg's
 * Dpkg::Control::FieldsCore, CTRL_INDEX_PKG). Fields not listed follow, sorted by name.
 */
const INDEX_ORDER = [
  'Package',
  'Package-Type',
  'Source',
  'Version',
  'Kernel-Version',
  'Built-For-Profiles',
  'Auto-Built-Package',
  'Architecture',
  'Subarchitecture',
  'Installer-Menu-Item',
  'Build-Essential',
  'Essential',
  'Protected',
  'Origin',
  'Bugs',
  'Maintainer',
  'Installed-Size',
  'Pre-Depends',
  'Depends',
  'Recommends',
  'Suggests',
  'Enhances',
  'Conflicts',
  'Breaks',
  'Replaces',
  'Provides',
  'Built-Using',
  'Static-Built-Using',
  'Filename',
  'Size',
  'MD5sum',
  'SHA1',
  'SHA256',
  'Section',
  'Priority',
  'Multi-Arch',
  'Homepage',
  'Description',
  'Tag',
  'Task',
];
const RANK = new Map(INDEX_ORDER.map((name, i) => [name, i]));

/** dpkg's spelling of the fields whose names do not follow the Word-Word rule. */
const IRREGULAR_NAMES = new Map(
  ['MD5sum', 'SHA1', 'SHA256', 'NotAutomatic', 'ButAutomaticUpgrades', 'No-Support-for-Architecture-all'].map((name) => [
    name.toLowerCase(),
    name,
  ]),
);

/**
 * The Packages index paragraph for a .deb, exactly as `dpkg-scanpackages` writes it: the
 * control fields with Filename, Size, MD5sum, SHA1 and SHA256 added (replacing any the control
 * file has), in dpkg's field order, names in dpkg's spelling, continuation lines normalised the
 * way dpkg normalises them, empty fields left out. `filename` is the path from the repository
 * root (pool/main/f/foo/foo_1.0_amd64.deb). The result ends with a newline but has no blank
 * line after it.
 */
export function packagesStanza(info: DebInfo, filename: string): string {
  if (/[\n\r]/.test(filename) || filename.trim() !== filename || filename === '') {
    throw new RangeError(`packagesStanza: invalid Filename ${JSON.stringify(filename)}`);
  }
  const paragraphs = parseDeb822(info.control, { source: 'the control file' });
  if (paragraphs.length !== 1) {
    throw new DebstashError('DEBSTASH_E_DEB_INVALID', `the control file has ${paragraphs.length} paragraphs, not 1`, {
      paragraphs: paragraphs.length,
    });
  }
  const control = paragraphs[0];
  if (!control.get('Package')?.trim()) {
    throw new DebstashError('DEBSTASH_E_DEB_INVALID', 'the control file has no Package field', {});
  }

  const fields = new Map<string, string>();
  for (const [name, value] of control) fields.set(capitalize(name), value);
  fields.set('Filename', filename);
  fields.set('Size', String(info.size));
  fields.set('MD5sum', info.md5);
  fields.set('SHA1', info.sha1);
  fields.set('SHA256', info.sha256);

  const names = [...fields.keys()].sort((a, b) => {
    const ra = RANK.get(a);
    const rb = RANK.get(b);
    if (ra !== undefined && rb !== undefined) return ra - rb;
    if (ra !== undefined) return -1;
    if (rb !== undefined) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  let out = '';
  for (const name of names) out += formatField(name, fields.get(name)!);
  return out;
}

/** dpkg's field_capitalize: the known spelling, else each dash-separated word capitalised. */
function capitalize(name: string): string {
  const lower = name.toLowerCase();
  const irregular = IRREGULAR_NAMES.get(lower);
  if (irregular) return irregular;
  const words = lower.split('-');
  // Perl's split drops trailing empty fields.
  while (words.length > 0 && words[words.length - 1] === '') words.pop();
  return words.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join('-');
}

/**
 * One field as Dpkg::Control writes it after reading it back: a continuation line loses its
 * first blank and trailing blanks, a line of dots loses one dot when read and an empty line or
 * a line of dots gains one when written (so " ." stays " ." and "\t." becomes " ."), trailing
 * empty lines are dropped, and a field that is only blanks is left out.
 */
function formatField(name: string, value: string): string {
  const [first, ...rest] = value.split('\n');
  const lines = rest.map((line) => {
    const content = line.slice(1).replace(/\s+$/, '');
    return /^\.+$/.test(content) ? content.slice(1) : content;
  });
  if (!/\S/.test(first) && lines.every((line) => !/\S/.test(line))) return '';
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let out = first === '' ? `${name}:\n` : `${name}: ${first}\n`;
  for (const line of lines) out += line === '' || /^\.+$/.test(line) ? ` .${line}\n` : ` ${line}\n`;
  return out;
}
