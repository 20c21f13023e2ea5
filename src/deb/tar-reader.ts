import { DebstashError } from '../errors/debstash-error.js';
import { ByteReader, memberBody } from './byte-reader.js';

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/** One member of a tar archive. */
export interface TarEntry {
  /**
   * The path, normalised: no leading "./", no "." or empty components, no trailing "/"
   * ("./usr/bin/" is "usr/bin"; the archive root "./" is ""). Never absolute, never with "..".
   */
  readonly name: string;
  readonly type: TarEntryType;
  /** The raw type flag ('0', '5', '2', ...). */
  readonly typeflag: string;
  readonly size: number;
  readonly mode: number;
  /** Target of a symlink or hardlink, as written; '' otherwise. */
  readonly linkName: string;
  /**
   * The member's data. Read it before asking for the next entry; whatever is not read is
   * skipped.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface TarReadOptions {
  /** What is being read ("control.tar.xz of foo.deb"), for error messages. */
  source?: string;
}

const BLOCK = 512;
/** pax and GNU long-name headers are held in memory; real ones are tiny. */
const MAX_META_SIZE = 1024 * 1024;

/**
 * Reads a tar archive (ustar, GNU and pax formats, as GNU tar and dpkg-deb write them) as a
 * stream, stopping at the end-of-archive block. Member data is never buffered.
 *
 * Any member whose path is absolute or has a ".." component (or a hardlink pointing at such a
 * path) is refused with DEBSTASH_E_DEB_UNSAFE_PATH, before its entry is returned, so that no
 * consumer can be tricked into writing outside a directory. Malformed headers, bad checksums
 * and an archive that ends inside a member are DEBSTASH_E_DEB_INVALID: the tar came out of an
 * intact compressed stream, so it was built wrong rather than cut short.
 */
export async function* readTar(input: AsyncIterable<Uint8Array>, options: TarReadOptions = {}): AsyncGenerator<TarEntry, void, undefined> {
  const source = options.source ?? 'the tar archive';
  const reader = new ByteReader(input);
  let globalPax: Record<string, string> = {};
  let pax: Record<string, string> = {};
  let longName: string | undefined;
  let longLink: string | undefined;

  for (;;) {
    const offset = reader.offset;
    const header = await reader.read(BLOCK);
    if (header.length === 0) return; // no end-of-archive blocks: GNU tar accepts that too
    if (header.length < BLOCK) throw invalid(source, offset, 'the archive ends inside a header');
    if (header.every((b) => b === 0)) return;

    checkChecksum(header, source, offset);
    const typeflag = header[156] === 0 ? '0' : String.fromCharCode(header[156]);
    const size = readNumber(header, 124, 12, 'size', source, offset);
    const paddedSize = Math.ceil(size / BLOCK) * BLOCK;

    // Headers that describe the next member.
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META_SIZE) throw invalid(source, offset, `an extended header of ${size} bytes`);
      const data = await reader.read(paddedSize);
      if (data.length < paddedSize) throw invalid(source, offset, 'the archive ends inside an extended header');
      const content = data.subarray(0, size);
      if (typeflag === 'x') pax = { ...pax, ...parsePax(content, source, offset) };
      else if (typeflag === 'g') globalPax = { ...globalPax, ...parsePax(content, source, offset) };
      else if (typeflag === 'L') longName = cString(content);
      else longLink = cString(content);
      continue;
    }

    const attributes: Record<string, string | undefined> = Object.assign(Object.create(null) as Record<string, string>, globalPax, pax);
    let rawName = longName ?? attributes.path;
    if (rawName === undefined) {
      const name = cString(header.subarray(0, 100));
      const isUstar = latin1(header.subarray(257, 262)) === 'ustar';
      const prefix = isUstar ? cString(header.subarray(345, 500)) : '';
      rawName = prefix === '' ? name : `${prefix}/${name}`;
    }
    const linkName = longLink ?? attributes.linkpath ?? cString(header.subarray(157, 257));
    pax = {};
    longName = undefined;
    longLink = undefined;

    let dataSize = size;
    if (attributes.size !== undefined) {
      if (!/^\d+$/.test(attributes.size)) throw invalid(source, offset, `a pax size of "${attributes.size}"`);
      dataSize = Number(attributes.size);
    }
    const type = entryType(typeflag);
    // Links and directories have no data, whatever their size field says (GNU tar's rule).
    if (type === 'symlink' || type === 'hardlink' || type === 'directory') dataSize = 0;
    const dataBlocks = Math.ceil(dataSize / BLOCK) * BLOCK;

    const name = safePath(rawName, source, 'member', rawName);
    if (type === 'hardlink') safePath(linkName, source, `hardlink target of "${rawName}"`, linkName);

    const state = { remaining: dataSize, used: false };
    const where = `inside member "${rawName}"`;
    const body = memberBody(reader, state, `tar member ${rawName}`, () => invalid(source, offset, `the archive ends ${where}`));
    yield {
      name,
      type,
      typeflag,
      size: dataSize,
      mode: readNumber(header, 100, 8, 'mode', source, offset),
      linkName: type === 'symlink' || type === 'hardlink' ? linkName : '',
      body,
    };
    const rest = state.remaining + (dataBlocks - dataSize);
    state.used = true;
    state.remaining = 0;
    if ((await reader.skip(rest)) < rest) throw invalid(source, offset, `the archive ends ${where}`);
  }
}

function entryType(typeflag: string): TarEntryType {
  switch (typeflag) {
    case '0':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

/** The normalised form of a member path, or DEBSTASH_E_DEB_UNSAFE_PATH. */
function safePath(path: string, source: string, what: string, raw: string): string {
  if (path.startsWith('/')) {
    throw new DebstashError('DEBSTASH_E_DEB_UNSAFE_PATH', `${source} has a ${what} with an absolute path: "${raw}"`, {
      file: source,
      path: raw,
    });
  }
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) {
    throw new DebstashError('DEBSTASH_E_DEB_UNSAFE_PATH', `${source} has a ${what} whose path goes up with "..": "${raw}"`, {
      file: source,
      path: raw,
    });
  }
  return parts.join('/');
}

function checkChecksum(header: Uint8Array, source: string, offset: number): void {
  const stored = readNumber(header, 148, 8, 'checksum', source, offset);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : header[i];
    unsigned += b;
    signed += b >= 128 ? b - 256 : b;
  }
  // Some old tars summed signed chars; GNU tar accepts both.
  if (stored !== unsigned && stored !== signed) {
    throw invalid(source, offset, `a header checksum is ${stored} but the header sums to ${unsigned}`);
  }
}

/** An octal field (NUL/space terminated), or GNU's base-256 for large values. */
function readNumber(header: Uint8Array, start: number, length: number, field: string, source: string, offset: number): number {
  const bytes = header.subarray(start, start + length);
  if (bytes[0] & 0x80) {
    if (bytes[0] === 0xff) throw invalid(source, offset, `a negative ${field}`);
    let value = bytes[0] & 0x7f;
    for (let i = 1; i < bytes.length; i++) value = value * 256 + bytes[i];
    if (!Number.isSafeInteger(value)) throw invalid(source, offset, `a ${field} too large to handle`);
    return value;
  }
  const text = latin1(bytes).replace(/[\0 ]+$/, '').replace(/^ +/, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(source, offset, `the ${field} field of a header is "${text}", not an octal number`);
  return parseInt(text, 8);
}

/** pax records: "LEN key=value\n", LEN counting the whole record. */
function parsePax(data: Uint8Array, source: string, offset: number): Record<string, string> {
  // No prototype: keys come from the archive ("__proto__" included).
  const records: Record<string, string> = Object.create(null) as Record<string, string>;
  const decoder = new TextDecoder();
  let pos = 0;
  while (pos < data.length) {
    if (data[pos] === 0) break; // padding some writers leave
    let space = pos;
    while (space < data.length && data[space] !== 0x20) space++;
    const lengthText = latin1(data.subarray(pos, space));
    const length = Number(lengthText);
    if (!/^\d+$/.test(lengthText) || length <= space - pos + 1 || pos + length > data.length || data[pos + length - 1] !== 0x0a) {
      throw invalid(source, offset, 'a malformed pax extended header');
    }
    const record = decoder.decode(data.subarray(space + 1, pos + length - 1));
    const eq = record.indexOf('=');
    if (eq <= 0) throw invalid(source, offset, 'a malformed pax extended header');
    records[record.slice(0, eq)] = record.slice(eq + 1);
    pos += length;
  }
  return records;
}

function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function invalid(source: string, offset: number, what: string): DebstashError {
  return new DebstashError('DEBSTASH_E_DEB_INVALID', `${source} is not a valid tar archive: ${what} (header at byte ${offset})`, {
    file: source,
    offset,
  });
}
