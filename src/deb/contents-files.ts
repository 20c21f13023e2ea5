import { DebstashError } from '../errors/debstash-error.js';
import { readAr } from './ar-reader.js';
import { decompressStream } from './compression/decompress-stream.js';
import { pipeThrough } from './compression/pipe-through.js';
import { DATA_MEMBERS } from './deb-reader.js';
import { readTar } from './tar-reader.js';

export interface ContentsFilesOptions {
  /** What is being read (a file name), for error messages. */
  source?: string;
}

/**
 * The paths a binary package installs, as a Contents index lists them: every member of its
 * data.tar (gz, xz, bz2, zst or plain) that is not a directory (files, symlinks, hard links),
 * without the leading "./", in archive order. Reads the .deb as one stream; only member names
 * are kept. Structure checks are readDeb's; this reader only refuses what it cannot list
 * (no data member, an unknown compression, a malformed or unsafe tar) with the same codes.
 */
export async function readDebFileList(input: AsyncIterable<Uint8Array>, options: ContentsFilesOptions = {}): Promise<string[]> {
  const source = options.source ?? 'the package';
  let paths: string[] | undefined;
  // Read to the end rather than leave the loop: closing the input early costs more (an
  // AbortError with its stack per package) than the few bytes after data.tar.
  for await (const member of readAr(input, { source })) {
    if (!member.name.startsWith('data.tar') || paths !== undefined) continue;
    const compression = Object.hasOwn(DATA_MEMBERS, member.name) ? DATA_MEMBERS[member.name] : undefined;
    if (compression === undefined) {
      throw new DebstashError('DEBSTASH_E_COMPRESSION_UNSUPPORTED', `${source} has member "${member.name}", compressed in a way debstash does not read`, {
        file: source,
        member: member.name,
      });
    }
    const where = `${member.name} of ${source}`;
    const found: string[] = [];
    const tarBytes = pipeThrough(member.body, decompressStream(compression, { source: where, inputBytes: member.size }));
    try {
      for await (const entry of readTar(tarBytes, { source: where })) {
        if (entry.type !== 'directory' && entry.name !== '') found.push(entry.name);
      }
      // Past the end-of-archive blocks too: a corrupt compressed stream is noticed, and the
      // decoder ends normally instead of being torn down.
      for await (const _ of tarBytes) {
        // discard
      }
    } finally {
      await tarBytes.return(undefined);
    }
    paths = found;
  }
  if (paths !== undefined) return paths;
  throw new DebstashError('DEBSTASH_E_DEB_INVALID', `${source} has no data member (data.tar*)`, { file: source });
}
