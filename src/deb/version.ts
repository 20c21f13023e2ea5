import { DebstashError } from '../errors/debstash-error.js';

/** A Debian version split as dpkg splits it: `[epoch:]upstream[-revision]`. */
export interface DebVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

const UPSTREAM_CHARS = /^[0-9A-Za-z.+~:-]*$/;
const REVISION_CHARS = /^[0-9A-Za-z.+~]*$/;

/**
 * Splits a version the way dpkg's parseversion does. Leading/trailing blanks are ignored.
 * With `strict`, also rejects what dpkg only warns about (upstream not starting with a digit,
 * characters outside the policy's set), which is what we want for versions we write.
 */
export function parseVersion(text: string, strict = false): DebVersion {
  const s = text.trim();
  const fail = (why: string): never => {
    throw new DebstashError('DEBSTASH_E_VERSION_INVALID', `invalid version "${text.slice(0, 200)}": ${why}`, {
      version: text.slice(0, 200),
    });
  };
  if (s === '') fail('it is empty');
  if (/\s/.test(s)) fail('it contains blanks');
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(':');
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) fail('the epoch is not a number');
    epoch = Number(e);
    if (epoch > 0x7fffffff) fail('the epoch is too big');
    rest = s.slice(colon + 1);
    if (rest === '') fail('nothing after the colon');
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (dash >= 0 && revision === '') fail('the revision after "-" is empty');
  if (upstream === '') fail('the upstream part is empty');
  if (strict) {
    if (!/^[0-9]/.test(upstream)) fail('the upstream part does not start with a digit');
    if (!UPSTREAM_CHARS.test(upstream)) fail('the upstream part has a character outside [0-9A-Za-z.+~:-]');
    if (!REVISION_CHARS.test(revision)) fail('the revision has a character outside [0-9A-Za-z.+~]');
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

/** dpkg's verrevcmp: alternate non-digit runs (by `order`) and digit runs (numerically). */
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

/** Compares two version strings with exact dpkg semantics; result is -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  return Math.sign(compareParsedVersions(parseVersion(a), parseVersion(b)));
}
