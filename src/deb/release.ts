import { DebstashError } from '../errors/debstash-error.js';
import { parseDeb822 } from './deb822-parse.js';
import type { Compression } from './compression/compression.js';
import type { Paragraph } from './paragraph.js';

/** A file a Release lists in its SHA256 section. */
export interface ReleaseEntry {
  /** Relative to the `dists/DIST/` directory, e.g. `main/binary-amd64/Packages.xz`. */
  readonly path: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
}

/** A file a Release lists in its SHA512 section. */
export interface ReleaseEntry512 {
  readonly path: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha512: string;
}

/** The parts of a Release (or InRelease) file that debstash uses. */
export interface ReleaseFile {
  /** Where it came from, for messages. */
  readonly source: string;
  readonly origin: string | undefined;
  readonly label: string | undefined;
  readonly suite: string | undefined;
  readonly codename: string | undefined;
  readonly version: string | undefined;
  readonly date: Date;
  readonly validUntil: Date | undefined;
  readonly architectures: readonly string[];
  readonly components: readonly string[];
  /** `Acquire-By-Hash: yes`: indexes are also at `DIR/by-hash/SHA256/<hash>`. */
  readonly acquireByHash: boolean;
  readonly sha256: ReadonlyMap<string, ReleaseEntry>;
  /** Undefined when the Release has no SHA512 section. */
  readonly sha512: ReadonlyMap<string, ReleaseEntry512> | undefined;
  /** The whole paragraph, for fields not modelled here. */
  readonly paragraph: Paragraph;
}

export interface ParseReleaseOptions {
  /** File name or URL for error messages. */
  source?: string;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
// The three forms apt's RFC1123StrToTime reads (RFC 1123, asctime, RFC 850).
const RFC1123 = /^([A-Za-z]{3}), (\d{1,2}) ([A-Za-z]{3}) (\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (\S+)$/;
const ASCTIME = /^([A-Za-z]{3}) ([A-Za-z]{3}) (\d{1,2}) (\d{1,2}):(\d{2}):(\d{2}) (\d{4})$/;
const RFC850 = /^([A-Za-z]{3,}), (\d{1,2})-([A-Za-z]{3})-(\d{2}) (\d{1,2}):(\d{2}):(\d{2}) (\S+)$/;
const ZONE_OFFSET = /^([+-])(\d{2})(\d{2})$/;

/**
 * Parses a date as apt reads Release dates: "Sat, 11 Jul 2026 10:16:37 UTC" and the two older
 * HTTP forms, in GMT/UTC/Z or a numeric offset. Undefined when it is not such a date. (apt
 * refuses non-zero numeric offsets; we apply them, since they are unambiguous.)
 */
export function parseReleaseDate(value: string): Date | undefined {
  const s = value.trim().replace(/[ \t]+/g, ' ');
  let weekday: string;
  let day: number;
  let month: string;
  let year: number;
  let hms: [string, string, string];
  let zone: string;
  let m = RFC1123.exec(s);
  if (m !== null) {
    [, weekday, , month, , , , , zone] = m;
    day = Number(m[2]);
    year = Number(m[4]);
    hms = [m[5], m[6], m[7]];
  } else if ((m = ASCTIME.exec(s)) !== null) {
    [, weekday, month] = m;
    day = Number(m[3]);
    hms = [m[4], m[5], m[6]];
    year = Number(m[7]);
    zone = 'UTC';
  } else if ((m = RFC850.exec(s)) !== null) {
    [, weekday, , month, , , , , zone] = m;
    day = Number(m[2]);
    year = 1900 + Number(m[4]);
    hms = [m[5], m[6], m[7]];
  } else {
    return undefined;
  }
  if (!WEEKDAYS.includes(weekday.slice(0, 3).toLowerCase())) return undefined;
  const mon = MONTHS.indexOf(month.toLowerCase());
  const [hh, mm, ss] = hms.map(Number);
  if (mon < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60) return undefined;
  let offsetMin = 0;
  if (zone !== 'GMT' && zone !== 'UTC' && zone !== 'Z') {
    const z = ZONE_OFFSET.exec(zone);
    if (z === null) return undefined;
    offsetMin = (Number(z[2]) * 60 + Number(z[3])) * (z[1] === '-' ? -1 : 1);
  }
  const local = Date.UTC(year, mon, day, hh, mm, ss);
  // Date.UTC rolls 31 Feb over into March; apt's timegm would too, but such a date is a typo.
  if (new Date(local).getUTCDate() !== day) return undefined;
  return new Date(local - offsetMin * 60_000);
}

/** apt's StringToBool, for Acquire-By-Hash. */
function parseBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  return ['yes', 'true', 'with', 'on', 'enable', '1'].includes(value.trim().toLowerCase());
}

function words(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(/\s+/).filter((w) => w.length > 0);
}

interface Sum {
  readonly path: string;
  readonly size: number;
  readonly hash: string;
}

function parseSums(value: string, hexLength: number, field: string, invalid: (what: string) => never): Map<string, Sum> {
  const out = new Map<string, Sum>();
  const hex = new RegExp(`^[0-9a-fA-F]{${hexLength}}$`);
  for (const raw of value.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const parts = line.split(/[ \t]+/);
    if (parts.length !== 3) invalid(`${field} line "${clip(line)}" is not "hash size path"`);
    const [hash, sizeText, path] = parts;
    if (!hex.test(hash)) invalid(`${field} line "${clip(line)}" has no ${hexLength}-digit hex hash`);
    if (!/^\d{1,15}$/.test(sizeText)) invalid(`${field} line "${clip(line)}" has no valid size`);
    const previous = out.get(path);
    const sum = { path, size: Number(sizeText), hash: hash.toLowerCase() };
    if (previous !== undefined && (previous.size !== sum.size || previous.hash !== sum.hash)) {
      invalid(`${field} lists ${path} twice with different sums`);
    }
    out.set(path, sum);
  }
  return out;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/**
 * Parses the text of a Release file (or the signed text of an InRelease). Only what apt needs is
 * required: a Date apt can read and a non-empty SHA256 section (MD5Sum and SHA1 are ignored, as
 * apt ignores them for security). A Valid-Until that cannot be read is an error too, as in apt.
 * Errors are DEBSTASH_E_RELEASE_INVALID naming `source`.
 */
export function parseRelease(text: string, options: ParseReleaseOptions = {}): ReleaseFile {
  const source = options.source ?? 'Release';
  function invalid(what: string): never {
    throw new DebstashError('DEBSTASH_E_RELEASE_INVALID', `${source}: ${what}`, { source });
  }
  let paragraphs: Paragraph[];
  try {
    paragraphs = parseDeb822(text, { source });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new DebstashError('DEBSTASH_E_RELEASE_INVALID', `${source}: not a deb822 Release file (${why})`, { source }, { cause: err });
  }
  if (paragraphs.length === 0) invalid('is empty');
  // apt reads only the first paragraph; a second one in a signed file is not something any
  // archive writes, so it is refused rather than silently ignored.
  if (paragraphs.length > 1) invalid(`has ${paragraphs.length} paragraphs; a Release file has one`);
  const p = paragraphs[0];

  const dateText = p.get('Date');
  if (dateText === undefined) invalid('has no Date field (apt requires it)');
  const date = parseReleaseDate(dateText);
  if (date === undefined) invalid(`Date "${clip(dateText)}" is not an RFC 1123 date in UTC`);

  const validText = p.get('Valid-Until');
  let validUntil: Date | undefined;
  if (validText !== undefined && validText.trim() !== '') {
    validUntil = parseReleaseDate(validText);
    if (validUntil === undefined) invalid(`Valid-Until "${clip(validText)}" is not an RFC 1123 date in UTC`);
  }

  const sha256Text = p.get('SHA256');
  if (sha256Text === undefined) invalid('has no SHA256 section (MD5Sum and SHA1 are not trusted)');
  const sha256 = new Map<string, ReleaseEntry>();
  for (const s of parseSums(sha256Text, 64, 'SHA256', invalid).values()) sha256.set(s.path, { path: s.path, size: s.size, sha256: s.hash });
  if (sha256.size === 0) invalid('has an empty SHA256 section');

  const sha512Text = p.get('SHA512');
  let sha512: Map<string, ReleaseEntry512> | undefined;
  if (sha512Text !== undefined) {
    sha512 = new Map();
    for (const s of parseSums(sha512Text, 128, 'SHA512', invalid).values()) sha512.set(s.path, { path: s.path, size: s.size, sha512: s.hash });
  }

  const optional = (name: string): string | undefined => {
    const v = p.get(name);
    return v === undefined ? undefined : v.trim();
  };
  return {
    source,
    origin: optional('Origin'),
    label: optional('Label'),
    suite: optional('Suite'),
    codename: optional('Codename'),
    version: optional('Version'),
    date,
    validUntil,
    architectures: words(p.get('Architectures')),
    components: words(p.get('Components')),
    acquireByHash: parseBool(p.get('Acquire-By-Hash')),
    sha256,
    sha512,
    paragraph: p,
  };
}

export interface ReleaseTimeOptions {
  /** How far Date may be ahead of `now` (clock skew), in seconds. Default 60. */
  maxFutureSkewS?: number;
  /**
   * Like apt's Acquire::Max-ValidTime: the Release is stale `maxAgeS` seconds after its Date,
   * even without (or before) Valid-Until.
   */
  maxAgeS?: number;
}

/**
 * apt's freshness rules: stale once `now` reaches Valid-Until (or Date + maxAgeS, whichever
 * is earlier), and not valid yet when Date is further in the future than the allowed skew.
 * Either is DEBSTASH_E_RELEASE_STALE: a replayed or broken Release must not replace a good one.
 */
export function checkReleaseTimes(release: ReleaseFile, now: Date, options: ReleaseTimeOptions = {}): void {
  const skewS = options.maxFutureSkewS ?? 60;
  const stale = (what: string, details: Record<string, string>): never => {
    throw new DebstashError('DEBSTASH_E_RELEASE_STALE', `${release.source}: ${what}`, { source: release.source, now: now.toISOString(), ...details });
  };
  const aheadMs = release.date.getTime() - now.getTime();
  if (aheadMs > skewS * 1000) {
    stale(`Date ${release.date.toISOString()} is ${Math.round(aheadMs / 1000)} s in the future (now ${now.toISOString()}, allowed skew ${skewS} s)`, {
      date: release.date.toISOString(),
    });
  }
  let until = release.validUntil;
  let because = 'Valid-Until';
  if (options.maxAgeS !== undefined) {
    const byAge = new Date(release.date.getTime() + options.maxAgeS * 1000);
    if (until === undefined || byAge < until) {
      until = byAge;
      because = `Date + ${options.maxAgeS} s (maximum age)`;
    }
  }
  if (until !== undefined && now.getTime() >= until.getTime()) {
    stale(`expired at ${until.toISOString()} (${because}); now is ${now.toISOString()}`, { validUntil: until.toISOString() });
  }
}

/** One of the files a Release lists for an index, and how it is compressed. */
export interface IndexVariant {
  /** e.g. `main/binary-amd64/Packages.xz`, relative to `dists/DIST/`. */
  readonly path: string;
  readonly compression: Compression;
  readonly entry: ReleaseEntry;
}

// Best first: smallest to download. All are readable by decompressStream.
const INDEX_VARIANTS: ReadonlyArray<readonly [string, Compression]> = [
  ['.xz', 'xz'],
  ['.gz', 'gzip'],
  ['.bz2', 'bzip2'],
  ['.zst', 'zstd'],
  ['', 'none'],
];

/**
 * The variant of the index `path` (without extension, e.g. `main/binary-amd64/Packages`) to
 * fetch: the first of .xz, .gz, .bz2, .zst, uncompressed that the Release lists. Only listed
 * files count, since only those can be verified. DEBSTASH_E_INDEX_MISSING when none is.
 */
export function pickIndexVariant(release: ReleaseFile, path: string): IndexVariant {
  for (const [ext, compression] of INDEX_VARIANTS) {
    const entry = release.sha256.get(path + ext);
    if (entry !== undefined) return { path: entry.path, compression, entry };
  }
  const others = [...release.sha256.keys()].filter((p) => p.startsWith(`${path}.`)).map((p) => p.slice(path.length));
  const why = others.length > 0 ? ` (only as ${others.join(', ')}, which debstash does not read)` : '';
  throw new DebstashError('DEBSTASH_E_INDEX_MISSING', `${release.source} does not list ${path}${why}`, { source: release.source, path });
}
