import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { DebstashError } from '../errors/debstash-error.js';
import { readAr, type ArMember } from './ar-reader.js';
import type { Compression } from './compression/compression.js';
import { decompressStream } from './compression/decompress-stream.js';
import { pipeThrough } from './compression/pipe-through.js';
import { readTar } from './tar-reader.js';

/** What debstash needs to know about a .deb to index it. */
export interface DebInfo {
  /** The control file, as in the package (UTF-8). */
  control: string;
  /** Size of the .deb in bytes. */
  size: number;
  /** Digests of the whole .deb, lowercase hex. */
  md5: string;
  sha1: string;
  sha256: string;
  sha512: string;
  controlCompression: Compression;
  dataCompression: Compression;
}

export interface ReadDebOptions {
  /** Largest control file accepted, in bytes (default 16 MiB). */
  maxControlBytes?: number;
  /**
   * Largest decompressed control.tar accepted, in bytes (default 256 MiB): it also holds
   * md5sums and maintainer scripts, and a small compressed member can expand enormously.
   */
  maxControlArchiveBytes?: number;
  /** What is being read (a file name), for error messages. */
  source?: string;
}

const DEFAULT_MAX_CONTROL = 16 * 1024 * 1024;
const DEFAULT_MAX_CONTROL_ARCHIVE = 256 * 1024 * 1024;
const MAX_DEBIAN_BINARY = 1024;

// What dpkg-deb accepts for each member (dpkg's deb(5)): control.tar without bzip2, data.tar
// with it; .lzma is legacy that debstash does not read.
const CONTROL_MEMBERS: Readonly<Record<string, Compression>> = {
  'control.tar': 'none',
  'control.tar.gz': 'gzip',
  'control.tar.xz': 'xz',
  'control.tar.zst': 'zstd',
};
export const DATA_MEMBERS: Readonly<Record<string, Compression>> = {
  'data.tar': 'none',
  'data.tar.gz': 'gzip',
  'data.tar.xz': 'xz',
  'data.tar.bz2': 'bzip2',
  'data.tar.zst': 'zstd',
};

/**
 * Reads a binary package (.deb) in one streaming pass: returns its control file and the size
 * and digests of the whole file. data.tar is hashed but not decompressed or held in memory, so
 * memory use does not depend on the package size.
 *
 * The ar layout is checked as dpkg-deb checks it: "debian-binary" (format 2.x) first, then
 * control.tar[.gz|.xz|.zst], then data.tar[.gz|.xz|.bz2|.zst]; members whose names start with
 * "_" are ignored anywhere after debian-binary. The control archive must hold a regular file
 * "./control" and no member with an unsafe path.
 *
 * Errors (DebstashError): DEBSTASH_E_DEB_INVALID for anything malformed or over the limits,
 * DEBSTASH_E_DEB_TRUNCATED when the file ends early, DEBSTASH_E_DEB_UNSAFE_PATH for a member
 * path with ".." or an absolute path, DEBSTASH_E_COMPRESSION_* for the control member's
 * compression, DEBSTASH_E_ENCODING if the control file is not UTF-8.
 */
export async function readDeb(input: Readable | AsyncIterable<Uint8Array>, options: ReadDebOptions = {}): Promise<DebInfo> {
  const source = options.source ?? 'the package';
  const maxControl = options.maxControlBytes ?? DEFAULT_MAX_CONTROL;
  const maxControlArchive = options.maxControlArchiveBytes ?? DEFAULT_MAX_CONTROL_ARCHIVE;
  const digest = new DigestTap(input, source);

  let seenBinary = false;
  let control: string | undefined;
  let controlCompression: Compression | undefined;
  let dataCompression: Compression | undefined;

  for await (const member of readAr(digest.chunks(), { source })) {
    const at = { file: source, member: member.name, offset: member.offset };
    if (!seenBinary) {
      if (member.name !== 'debian-binary') {
        throw invalid(`${source} is not a Debian package: its first member is "${member.name}", not "debian-binary"`, at);
      }
      await checkFormatVersion(member, source);
      seenBinary = true;
      continue;
    }
    if (member.name.startsWith('_')) continue;

    if (member.name.startsWith('control.tar')) {
      if (controlCompression !== undefined) throw invalid(`${source} has a second control member "${member.name}"`, at);
      if (dataCompression !== undefined) throw invalid(`${source} has its control member after the data member`, at);
      controlCompression = memberCompression(CONTROL_MEMBERS, member, source);
      control = await readControlMember(member, controlCompression, { source, maxControl, maxControlArchive });
      continue;
    }
    if (member.name.startsWith('data.tar')) {
      if (controlCompression === undefined) throw invalid(`${source} has its data member "${member.name}" before the control member`, at);
      if (dataCompression !== undefined) throw invalid(`${source} has a second data member "${member.name}"`, at);
      dataCompression = memberCompression(DATA_MEMBERS, member, source);
      // Only hashed, on the way through readAr's skipping.
      continue;
    }
    throw invalid(`${source} has an unexpected member "${member.name}"`, at);
  }

  if (!seenBinary) throw invalid(`${source} is an empty ar archive, not a Debian package`, { file: source });
  if (control === undefined || controlCompression === undefined) {
    throw invalid(`${source} has no control member (control.tar*)`, { file: source });
  }
  if (dataCompression === undefined) throw invalid(`${source} has no data member (data.tar*)`, { file: source });

  return { control, ...digest.result(), controlCompression, dataCompression };
}

/** Hashes every byte passing through, with all four digests in the same pass. */
class DigestTap {
  private readonly hashes: Hash[] = ['md5', 'sha1', 'sha256', 'sha512'].map((name) => createHash(name));
  private size = 0;

  constructor(
    private readonly input: Readable | AsyncIterable<Uint8Array>,
    private readonly source: string,
  ) {}

  async *chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    for await (const chunk of this.input as AsyncIterable<unknown>) {
      if (!(chunk instanceof Uint8Array)) {
        throw new TypeError(`readDeb: ${this.source} must be read as bytes, got ${typeof chunk} (is an encoding set?)`);
      }
      for (const hash of this.hashes) hash.update(chunk);
      this.size += chunk.length;
      yield chunk;
    }
  }

  result(): { size: number; md5: string; sha1: string; sha256: string; sha512: string } {
    const [md5, sha1, sha256, sha512] = this.hashes.map((hash) => hash.digest('hex'));
    return { size: this.size, md5, sha1, sha256, sha512 };
  }
}

async function checkFormatVersion(member: ArMember, source: string): Promise<void> {
  if (member.size > MAX_DEBIAN_BINARY) {
    throw invalid(`${source} has a debian-binary member of ${member.size} bytes; it should hold only "2.0"`, { file: source });
  }
  const chunks: Uint8Array[] = [];
  for await (const chunk of member.body) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('latin1');
  const match = /^(\d+)\.(\d+)\n/.exec(text);
  if (!match || match[1] !== '2') {
    const shown = JSON.stringify(text.split('\n')[0]);
    throw invalid(`${source} is in .deb format ${shown}; only format 2.x is supported`, { file: source, version: text.split('\n')[0] });
  }
}

function memberCompression(table: Readonly<Record<string, Compression>>, member: ArMember, source: string): Compression {
  const compression = Object.hasOwn(table, member.name) ? table[member.name] : undefined;
  if (compression !== undefined) return compression;
  throw new DebstashError(
    'DEBSTASH_E_COMPRESSION_UNSUPPORTED',
    `${source} has member "${member.name}", compressed in a way debstash does not read`,
    { file: source, member: member.name },
  );
}

async function readControlMember(
  member: ArMember,
  compression: Compression,
  limits: { source: string; maxControl: number; maxControlArchive: number },
): Promise<string> {
  const where = `${member.name} of ${limits.source}`;
  const decompressed = pipeThrough(member.body, decompressStream(compression, { source: where, inputBytes: member.size }));
  const tarBytes = limitSize(decompressed, limits.maxControlArchive, where);
  let control: Uint8Array | undefined;
  try {
    for await (const entry of readTar(tarBytes, { source: where })) {
      if (entry.name !== 'control') continue;
      if (control !== undefined) throw invalid(`${where} has two control files`, { file: limits.source, member: member.name });
      if (entry.type !== 'file') {
        throw invalid(`${where} has a control that is a ${entry.type}, not a regular file`, { file: limits.source, member: member.name });
      }
      if (entry.size > limits.maxControl) {
        throw invalid(`${where} has a control file of ${entry.size} bytes, more than the limit of ${limits.maxControl}`, {
          file: limits.source,
          member: member.name,
          size: entry.size,
        });
      }
      const parts: Uint8Array[] = [];
      for await (const part of entry.body) parts.push(part);
      control = Buffer.concat(parts);
    }
    // Past the end-of-archive blocks: read on, so that a corrupt or truncated compressed
    // stream is noticed even where tar would not look.
    for await (const _ of tarBytes) {
      // discard
    }
  } finally {
    await tarBytes.return(undefined);
  }
  if (control === undefined) throw invalid(`${where} has no ./control file`, { file: limits.source, member: member.name });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(control);
  } catch {
    throw new DebstashError('DEBSTASH_E_ENCODING', `the control file in ${where} is not valid UTF-8`, {
      file: limits.source,
      member: member.name,
    });
  }
}

async function* limitSize(chunks: AsyncIterable<Uint8Array>, max: number, where: string): AsyncGenerator<Uint8Array, void, undefined> {
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.length;
    if (total > max) {
      throw new DebstashError('DEBSTASH_E_DEB_INVALID', `${where} decompresses to more than ${max} bytes`, { file: where, limit: max });
    }
    yield chunk;
  }
}

function invalid(message: string, details: Record<string, string | number>): DebstashError {
  return new DebstashError('DEBSTASH_E_DEB_INVALID', message, details);
}
