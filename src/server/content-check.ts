import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import type { FileIdentity } from './file-representation.js';

/** Large reads: the file is hashed once per version, usually a .deb. */
const READ_CHUNK = 2 ** 20;
/** File versions remembered as verified: past this, the least recently served is forgotten (and hashed again when asked for). */
export const VERIFIED_LIMIT = 10_000;

/** What a file's bytes must hash to. */
export interface ExpectedDigest {
  readonly algorithm: 'sha256' | 'sha512';
  /** Lowercase hex. */
  readonly digest: string;
}

/**
 * Whether a file about to be served still has the bytes it is named by, hashing it only when
 * its identity (device, inode, size, mtime, ctime) is not the one last verified: a rewrite in
 * place changes size or mtime, a rename over it the inode, and `touch -m -d` to hide a change
 * still moves the ctime. An unchanged file costs a Map lookup; a changed one a read of its bytes
 * (once, however many requests ask meanwhile). Bounded: at most VERIFIED_LIMIT versions are
 * remembered, least recently served forgotten first.
 */
export class ContentCheck {
  /** `algorithm:digest:dev:ino` → the verified version; a Map keeps insertion order, so the first key is the least recent. */
  private readonly verified = new Map<string, string>();
  private readonly verifying = new Map<string, Promise<boolean>>();

  constructor(private readonly limit = VERIFIED_LIMIT) {}

  /** Resolves whether the file open as `handle`, whose stat gave `identity`, hashes to `expected`. A failed read is a no. */
  verify(expected: ExpectedDigest, identity: FileIdentity, handle: FileHandle): Promise<boolean> | true {
    // By file, not by digest alone: two publishes of the same index hold it in two files (two
    // by-hash directories), which would otherwise push each other out at every other request.
    const key = `${expected.algorithm}:${expected.digest}:${identity.dev}:${identity.ino}`;
    const version = `${identity.size}:${identity.mtimeMs}:${identity.ctimeMs}`;
    if (this.verified.get(key) === version) {
      this.verified.delete(key);
      this.verified.set(key, version);
      return true;
    }
    const pending = `${key}\0${version}`;
    let running = this.verifying.get(pending);
    if (running === undefined) {
      running = hashOf(expected.algorithm, handle).then(
        (actual) => {
          if (actual !== expected.digest) return false;
          this.remember(key, version);
          return true;
        },
        () => false,
      );
      this.verifying.set(pending, running);
      void running.finally(() => this.verifying.delete(pending));
    }
    return running;
  }

  /** How many versions are remembered (for tests of the bound). */
  get size(): number {
    return this.verified.size;
  }

  private remember(key: string, version: string): void {
    this.verified.delete(key);
    this.verified.set(key, version);
    if (this.verified.size > this.limit) {
      const oldest = this.verified.keys().next();
      if (oldest.done !== true) this.verified.delete(oldest.value);
    }
  }
}

async function hashOf(algorithm: ExpectedDigest['algorithm'], handle: FileHandle): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of handle.createReadStream({ start: 0, highWaterMark: READ_CHUNK, autoClose: false })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
