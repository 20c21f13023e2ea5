/**
 * The compressions debstash reads: what APT indexes and .deb members use. `none` is a real
 * choice (uncompressed Packages, control.tar) rather than the absence of one.
 */
export type Compression = 'none' | 'gzip' | 'xz' | 'bzip2' | 'zstd';

export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'xz', 'bzip2', 'zstd'];

/** The file name suffix APT and dpkg use for each compression. */
export const COMPRESSION_EXTENSIONS: Readonly<Record<Compression, string>> = {
  none: '',
  gzip: '.gz',
  xz: '.xz',
  bzip2: '.bz2',
  zstd: '.zst',
};
