/**
 * A synthetic repository for the incremental-publish tests and measurements: N packages with
 * Packages paragraphs shaped like Debian's (~650 bytes, like the 12.9 MB Packages of 20,000
 * small .debs: random digests, several relations, a multi-line description), each with a small
 * real file in a pool of its own (files written without fsync: building 20,000 is fast).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Pool, PoolEntry } from '../../src/pool/pool.js';
import type { PackageEntry } from '../../src/store/records.js';
import { forEachConcurrent } from '../../src/concurrency/for-each-concurrent.js';

const WORDS = (
  'data library tool server client python perl ruby common utils core daemon plugin module graphics sound network ' +
  'kernel firmware fonts docs dev runtime engine parser compiler editor viewer manager shell terminal backup archive ' +
  'crypto database cache proxy monitor logger scheduler format image video audio text markup science math stats'
).split(' ');
const SECTIONS = ['libs', 'utils', 'python', 'perl', 'net', 'admin', 'devel', 'doc', 'graphics', 'sound', 'text', 'science'];

/** A deterministic generator (xorshift32). */
function rng(seed: number): { int(n: number): number; hex(n: number): string; word(): string } {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  return {
    int: (n) => next() % n,
    hex: (n) => {
      let s = '';
      while (s.length < n) s += next().toString(16).padStart(8, '0');
      return s.slice(0, n);
    },
    word: () => WORDS[next() % WORDS.length],
  };
}

export interface SyntheticPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  /** The bytes of its "package file". */
  readonly content: Buffer;
  readonly sha256: string;
  /** The paragraph without Filename, Size and SHA256 (added by entryOf). */
  readonly fields: string;
}

/** Package `i` of the synthetic repository (names sort in a stable, interleaved order). */
export function syntheticPackage(i: number, seed = 1): SyntheticPackage {
  const r = rng(i * 7919 + seed);
  const name = `${r.word()}-${r.word()}-${i.toString(36)}`;
  const version = `${1 + r.int(9)}.${r.int(30)}.${r.int(100)}-${1 + r.int(4)}`;
  const architecture = r.int(5) === 0 ? 'all' : 'amd64';
  const content = Buffer.from(`synthetic package ${name} ${version} ${architecture}\n`);
  const deps = Array.from({ length: 1 + r.int(3) }, () => `lib${r.word()}${r.int(9)} (>= ${r.int(5)}.${r.int(20)})`);
  const desc = Array.from({ length: 1 + r.int(2) }, () => ` ${Array.from({ length: 6 + r.int(6) }, () => r.word()).join(' ')}.`);
  const fields =
    `Package: ${name}\n` +
    (r.int(3) === 0 ? `Source: ${name.replace(/-[0-9a-z]+$/, '')}-src\n` : '') +
    `Version: ${version}\n` +
    `Installed-Size: ${r.int(50000)}\n` +
    `Maintainer: ${r.word()} ${r.word()} Team <${r.word()}-maintainers@lists.example.org>\n` +
    `Architecture: ${architecture}\n` +
    `Depends: libc6 (>= 2.36), ${deps.join(', ')}\n` +
    (r.int(2) === 0 ? `Recommends: ${r.word()}-${r.word()}\n` : '') +
    `Description: ${r.word()} ${r.word()} for ${r.word()} ${r.word()}\n${desc.join('\n')}\n` +
    (r.int(2) === 0 ? `Homepage: https://${r.word()}.example.org/${name}\n` : '') +
    `Section: ${SECTIONS[r.int(SECTIONS.length)]}\n` +
    `Priority: optional\n` +
    `MD5sum: ${r.hex(32)}\n` +
    `SHA1: ${r.hex(40)}\n`;
  return { name, version, architecture, content, sha256: createHash('sha256').update(content).digest('hex'), fields };
}

export function entryOf(p: SyntheticPackage, component = 'main'): PackageEntry {
  const filename = `pool/upstream/${p.name}_${p.version}_${p.architecture}.deb`;
  return {
    kind: 'deb',
    name: p.name,
    version: p.version,
    architecture: p.architecture,
    component,
    stanza: `${p.fields}Filename: ${filename}\nSize: ${p.content.length}\nSHA256: ${p.sha256}\n`,
    files: [{ path: filename, sha256: p.sha256, size: p.content.length }],
  };
}

/** A pool holding plain files under `dir/<sha256>`: only what publishing uses of a Pool. */
export class DirPool implements Pool {
  constructor(readonly dir: string) {}

  static async create(dir: string, packages: readonly SyntheticPackage[]): Promise<DirPool> {
    await mkdir(dir, { recursive: true });
    const pool = new DirPool(dir);
    await pool.add(packages);
    return pool;
  }

  async add(packages: readonly SyntheticPackage[]): Promise<void> {
    await forEachConcurrent(packages, 32, (p) => writeFile(join(this.dir, p.sha256), p.content));
  }

  localPath(sha256: string): string {
    return join(this.dir, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.stat(sha256)) !== undefined;
  }

  async stat(sha256: string): Promise<PoolEntry | undefined> {
    const { stat } = await import('node:fs/promises');
    return stat(this.localPath(sha256)).then(
      (s) => ({ sha256, size: s.size }),
      () => undefined,
    );
  }

  async put(): Promise<PoolEntry> {
    throw new Error('DirPool is read-only');
  }

  async open(sha256: string): Promise<Readable> {
    const { createReadStream } = await import('node:fs');
    return createReadStream(this.localPath(sha256));
  }

  async delete(): Promise<void> {
    throw new Error('DirPool is read-only');
  }

  async *list(): AsyncIterable<string> {
    // not needed by publishing
  }
}
