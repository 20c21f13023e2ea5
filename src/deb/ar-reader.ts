import { DebstashError } from '../errors/debstash-error.js';
import { ByteReader, memberBody } from './byte-reader.js';

/** One member of an ar archive. */
export interface ArMember {
  /** The name, without the padding and the "/" that GNU ar appends. */
  readonly name: string;
  /** Size of the member's data in bytes (for BSD long names, without the name). */
  readonly size: number;
  readonly mtime: number;
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  /** Offset of the member's header in the archive. */
  readonly offset: number;
  /**
   * The member's data, streamed from the archive. Read it before asking for the next member
   * (it cannot be read afterwards); whatever is not read is skipped. Throws
   * DEBSTASH_E_DEB_TRUNCATED if the archive ends inside the member.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface ArReadOptions {
  /** What is being read (a file name), for error messages. */
  source?: string;
}

const MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;
/** A GNU long-name table is rarely more than a few KiB; it is held in memory. */
const MAX_NAME_TABLE = 1024 * 1024;

/**
 * Reads the members of a common ("!<arch>") ar archive, the container of a .deb, as a stream:
 * memory use does not depend on member sizes. Member names may be plain (dpkg), end with "/"
 * (GNU ar), be GNU long names ("/123" into the "//" table) or BSD long names ("#1/LEN").
 * Symbol tables ("/", "/SYM64/") are skipped.
 *
 * A wrong signature or malformed header is DEBSTASH_E_DEB_INVALID; an archive that ends in a
 * header, a member or the padding byte after an odd-sized member is DEBSTASH_E_DEB_TRUNCATED.
 */
export async function* readAr(input: AsyncIterable<Uint8Array>, options: ArReadOptions = {}): AsyncGenerator<ArMember, void, undefined> {
  const source = options.source ?? 'the ar archive';
  const reader = new ByteReader(input);
  try {
    const magic = await reader.read(MAGIC.length);
    const magicText = latin1(magic);
    if (magicText !== MAGIC) {
      if (MAGIC.startsWith(magicText)) {
        throw new DebstashError('DEBSTASH_E_DEB_TRUNCATED', `${source} ends after ${magic.length} bytes, inside the ar signature`, {
          file: source,
          offset: magic.length,
        });
      }
      throw new DebstashError('DEBSTASH_E_DEB_INVALID', `${source} is not an ar archive (it does not start with "!<arch>")`, {
        file: source,
        offset: 0,
      });
    }

    let nameTable: string | undefined;
    for (;;) {
      const offset = reader.offset;
      const header = await reader.read(HEADER_SIZE);
      if (header.length === 0) return;
      if (header.length < HEADER_SIZE) {
        throw truncated(source, `in the header of the member at byte ${offset}`, reader.offset);
      }
      const fields = parseHeader(header, source, offset);
      let { name, size } = fields;

      if (name === '/' || name === '/SYM64/') {
        await skipExactly(reader, size + (size % 2), source, `in the symbol table at byte ${offset}`);
        continue;
      }
      if (name === '//') {
        if (size > MAX_NAME_TABLE) throw invalid(source, offset, `its long-name table is ${size} bytes long`);
        const table = await reader.read(size);
        if (table.length < size) throw truncated(source, `in the long-name table at byte ${offset}`, reader.offset);
        await skipExactly(reader, size % 2, source, `in the padding after the long-name table at byte ${offset}`);
        nameTable = latin1(table);
        continue;
      }
      let dataSize = size;
      if (/^\/\d+$/.test(name)) {
        const at = Number(name.slice(1));
        const end = nameTable?.indexOf('/\n', at) ?? -1;
        if (nameTable === undefined || at >= nameTable.length || end < 0) {
          throw invalid(source, offset, `a member's long name ${name} is not in the long-name table`);
        }
        name = nameTable.slice(at, end);
      } else if (/^#1\/\d+$/.test(name)) {
        const nameLength = Number(name.slice(3));
        if (nameLength > size || nameLength > 4096) throw invalid(source, offset, `a BSD long name of ${nameLength} bytes`);
        const bytes = await reader.read(nameLength);
        if (bytes.length < nameLength) throw truncated(source, `in the name of the member at byte ${offset}`, reader.offset);
        name = new TextDecoder().decode(bytes).replace(/\0+$/, '');
        dataSize = size - nameLength;
      } else if (name.endsWith('/')) {
        name = name.slice(0, -1);
      }

      const where = `in member "${name}" at byte ${offset}`;
      const state = { remaining: dataSize, used: false };
      const body = memberBody(reader, state, `ar member ${name}`, () => truncated(source, where, reader.offset));
      yield { name, size: dataSize, mtime: fields.mtime, uid: fields.uid, gid: fields.gid, mode: fields.mode, offset, body };

      // Whatever the consumer left unread.
      if (state.remaining > 0) {
        state.used = true;
        await skipExactly(reader, state.remaining, source, where);
        state.remaining = 0;
      }
      // Members start at even offsets.
      await skipExactly(reader, size % 2, source, `in the padding byte after member "${name}" at byte ${offset}`);
    }
  } finally {
    await reader.close();
  }
}

interface HeaderFields {
  name: string;
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
  size: number;
}

function parseHeader(header: Uint8Array, source: string, offset: number): HeaderFields {
  const text = latin1(header);
  if (text.slice(58, 60) !== '`\n') throw invalid(source, offset, 'a member header does not end with "`\\n"');
  const number = (start: number, length: number, radix: number, field: string): number => {
    const raw = text.slice(start, start + length).trimEnd();
    // Some writers leave numeric fields blank (deterministic mode of some ar versions).
    if (raw === '' && field !== 'size') return 0;
    const pattern = radix === 8 ? /^[0-7]+$/ : /^\d+$/;
    if (!pattern.test(raw)) throw invalid(source, offset, `the ${field} field of a member header is "${raw}", not a number`);
    return parseInt(raw, radix);
  };
  return {
    name: text.slice(0, 16).trimEnd(),
    mtime: number(16, 12, 10, 'date'),
    uid: number(28, 6, 10, 'owner'),
    gid: number(34, 6, 10, 'group'),
    mode: number(40, 8, 8, 'mode'),
    size: number(48, 10, 10, 'size'),
  };
}

async function skipExactly(reader: ByteReader, n: number, source: string, where: string): Promise<void> {
  if (n === 0) return;
  if ((await reader.skip(n)) < n) throw truncated(source, where, reader.offset);
}

function truncated(source: string, where: string, offset: number): DebstashError {
  return new DebstashError('DEBSTASH_E_DEB_TRUNCATED', `${source} ends early, ${where} (after ${offset} bytes)`, {
    file: source,
    offset,
  });
}

function invalid(source: string, offset: number, what: string): DebstashError {
  return new DebstashError('DEBSTASH_E_DEB_INVALID', `${source} is not a valid ar archive: ${what} (at byte ${offset})`, {
    file: source,
    offset,
  });
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
