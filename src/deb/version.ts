import { DebstashError } from '../errors/debstash-error.js';

/** A Debian version split as dpkg splits it: `[epoch:]upstream[-revision]`. */
export interface DebVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

// dpkg's c_isalnum plus the punctuation parseversion accepts without a warning.
const UPSTREAM_CHAR = /[0-9A-Za-z.+~:-]/;
const REVISION_CHAR = /[0-9A-Za-z.+~]/;
const EPOCH_MAX = 0x7fffffff;

function isBlank(code: number): boolean {
  // dpkg trims with c_isblank, which is only space and tab (not newline).
  return code === 0x20 || code === 0x09;
}

/**
 * Splits a version the way dpkg's parseversion does, rejecting what dpkg rejects.
 * Leading/trailing spaces and tabs are ignored.
 *
 * Besides dpkg's errors, any character outside printable ASCII is rejected even without
 * `strict`: dpkg only warns about them, but it orders bytes >= 0x80 through a plain `char`,
 * so the result differs between architectures with signed and unsigned chars; no archive has
 * such versions. An epoch with a sign (`+1:0`, which strtol lets through in dpkg) is rejected too.
 *
 * With `strict`, also rejects what dpkg only warns about (upstream not starting with a digit,
 * characters outside the policy's set): dpkg-deb and dpkg's control parser turn those warnings
 * into errors, so they are what package fields and relations must satisfy.
 */
export function parseVersion(text: string, strict = false): DebVersion {
  const shown = text.length > 200 ? `${text.slice(0, 200)}...` : text;
  const fail = (why: string, index: number): never => {
    throw new DebstashError(
      'DEBSTASH_E_VERSION_INVALID',
      `invalid version "${shown}": ${why} (column ${index + 1})`,
      { text: shown, column: index + 1 },
    );
  };
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  if (start === end) fail('it is empty', start);
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (isBlank(c)) fail('it contains blanks', i);
    if (c < 0x21 || c > 0x7e) fail(`character U+${c.toString(16).toUpperCase().padStart(4, '0')} is not printable ASCII`, i);
  }
  let epoch = 0;
  let restStart = start;
  const colon = text.indexOf(':', start);
  if (colon >= 0 && colon < end) {
    const e = text.slice(start, colon);
    if (e === '') fail('the epoch before ":" is empty', start);
    if (!/^[0-9]+$/.test(e)) fail('the epoch is not a number', start);
    epoch = Number(e);
    if (epoch > EPOCH_MAX) fail('the epoch is too big', start);
    restStart = colon + 1;
    if (restStart === end) fail('nothing after the colon', colon);
  }
  const dash = text.lastIndexOf('-', end - 1);
  const hasRevision = dash >= restStart;
  const upstreamEnd = hasRevision ? dash : end;
  const upstream = text.slice(restStart, upstreamEnd);
  const revision = hasRevision ? text.slice(dash + 1, end) : '';
  if (hasRevision && revision === '') fail('the revision after "-" is empty', dash);
  if (upstream === '') fail('the upstream part is empty', restStart);
  if (strict) {
    if (!/^[0-9]/.test(upstream)) fail('the upstream part does not start with a digit', restStart);
    for (let i = 0; i < upstream.length; i++) {
      if (!UPSTREAM_CHAR.test(upstream[i])) {
        fail(`"${upstream[i]}" is not allowed in the upstream part (only [0-9A-Za-z.+~:-])`, restStart + i);
      }
    }
    for (let i = 0; i < revision.length; i++) {
      if (!REVISION_CHAR.test(revision[i])) {
        fail(`"${revision[i]}" is not allowed in the revision (only [0-9A-Za-z.+~])`, dash + 1 + i);
      }
    }
  }
  return { epoch, upstream, revision };
}

/** dpkg's character order: `~` before everything (even the end), letters before non-letters. */
function order(code: number): number {
  if (code >= 48 && code <= 57) return 0;
  if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122)) return code;
  if (code === 126) return -1;
  if (Number.isNaN(code)) return 0;
  return code + 256;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * dpkg's verrevcmp: alternate non-digit runs (by `order`) and digit runs (numerically, as
 * digit strings, so numbers of any length compare exactly). Defined for ASCII, like dpkg.
 */
export function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = i < a.length ? order(a.charCodeAt(i)) : 0;
      const bc = j < b.length ? order(b.charCodeAt(j)) : 0;
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a.charCodeAt(i))) return 1;
    if (isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Compares two parsed versions: negative, zero or positive like dpkg --compare-versions. */
export function compareParsedVersions(a: DebVersion, b: DebVersion): number {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  const u = compareFragment(a.upstream, b.upstream);
  if (u !== 0) return u;
  return compareFragment(a.revision, b.revision);
}

/**
 * Compares two version strings with exact dpkg semantics; result is -1, 0 or 1.
 * Throws DEBSTASH_E_VERSION_INVALID for what dpkg refuses, even when both strings are equal.
 */
export function compareVersions(a: string, b: string): number {
  return Math.sign(compareParsedVersions(parseVersion(a), parseVersion(b)));
}
