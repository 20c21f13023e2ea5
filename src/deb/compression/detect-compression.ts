import { DebstashError } from '../../errors/debstash-error.js';
import type { Compression } from './compression.js';

const GZIP_MAGIC = [0x1f, 0x8b];
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
// What follows "BZh1".."BZh9": a block or, for empty input, the end-of-stream marker.
const BZIP2_BLOCK_MAGIC = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
const BZIP2_END_MAGIC = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];

function startsWith(bytes: Uint8Array, magic: readonly number[], at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

function isZstdSkippableFrame(bytes: Uint8Array): boolean {
  // Magic 0x184D2A50..0x184D2A5F, little-endian.
  return bytes.length >= 4 && (bytes[0] & 0xf0) === 0x50 && bytes[1] === 0x2a && bytes[2] === 0x4d && bytes[3] === 0x18;
}

function isBzip2(bytes: Uint8Array): boolean {
  if (bytes.length < 4 || bytes[0] !== 0x42 || bytes[1] !== 0x5a || bytes[2] !== 0x68) return false;
  if (bytes[3] < 0x31 || bytes[3] > 0x39) return false;
  // "BZh1" alone is also plain text; when the caller gave us enough bytes, look further.
  if (bytes.length < 10) return true;
  return startsWith(bytes, BZIP2_BLOCK_MAGIC, 4) || startsWith(bytes, BZIP2_END_MAGIC, 4);
}

/**
 * The compression of data, from its first bytes (10 are enough); 'none' when no known
 * signature matches. Only the formats' signatures are checked, not that the data is valid.
 */
export function detectCompression(firstBytes: Uint8Array): Compression {
  if (startsWith(firstBytes, GZIP_MAGIC)) return 'gzip';
  if (startsWith(firstBytes, XZ_MAGIC)) return 'xz';
  if (startsWith(firstBytes, ZSTD_MAGIC) || isZstdSkippableFrame(firstBytes)) return 'zstd';
  if (isBzip2(firstBytes)) return 'bzip2';
  return 'none';
}

/**
 * The compression a file name says it has, by its extension, as APT names index files
 * (Packages.xz) and dpkg names .deb members (data.tar.zst). A name without a compression
 * extension is 'none'.
 *
 * `.lzma` (and the ancient `.Z`) are recognised and refused rather than read as 'none': APT can
 * still fetch Packages.lzma and old .debs have data.tar.lzma, and treating those bytes as
 * plain text would produce nonsense instead of a clear error.
 */
export function compressionFromExtension(name: string): Compression {
  const dot = name.lastIndexOf('.');
  const slash = name.lastIndexOf('/');
  if (dot < 0 || dot < slash) return 'none';
  const ext = name.slice(dot + 1);
  switch (ext) {
    case 'gz':
      return 'gzip';
    case 'xz':
      return 'xz';
    case 'bz2':
      return 'bzip2';
    case 'zst':
    case 'zstd':
      return 'zstd';
    case 'lzma':
    case 'Z':
      throw new DebstashError(
        'DEBSTASH_E_COMPRESSION_UNSUPPORTED',
        `${name} is compressed with .${ext}, which debstash does not read`,
        { file: name, extension: ext },
      );
    default:
      return 'none';
  }
}
