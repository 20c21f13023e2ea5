import { statSync, type Stats } from 'node:fs';
import { isImmutable } from './content-type.js';
import { type FileRepresentation, sameIdentity } from './file-representation.js';

export interface FileCacheOptions {
  /** File bytes held in memory at most; 0 turns the cache off. */
  readonly budgetBytes: number;
  /** Files up to this size are kept from their first request; larger ones from their second. */
  readonly eagerBytes: number;
  /** Files above this size are always streamed from disk. */
  readonly maxFileBytes: number;
  /** How long a pool/ or by-hash/ file (whose content never changes, it can only vanish) is served without a stat. */
  readonly immutableRecheckMs: number;
}

export const DEFAULT_FILE_CACHE: FileCacheOptions = {
  budgetBytes: 256 * 2 ** 20,
  eagerBytes: 256 * 2 ** 10,
  maxFileBytes: 32 * 2 ** 20,
  immutableRecheckMs: 1000,
};

interface Entry {
  readonly rep: FileRepresentation;
  readonly immutable: boolean;
  checkedAt: number;
  /** The event-loop turn of the last stat. */
  checkedTurn: number;
  /** Set on every hit, cleared as eviction passes by: a second chance for what is in use. */
  used: boolean;
}

/** Bounds the memory of the once-requested names the cache remembers for admitting on a second request. */
const SEEN_ONCE_LIMIT = 10_000;

/**
 * Hot files of a served tree in memory, by their path relative to the tree. An entry is served
 * only while the name still leads to the same file version: a new inode, size, mtime or ctime drops it.
 * Release, InRelease and the plain index names are replaced by rename at every publish, so
 * their name is stat'ed once per event-loop turn in which they are asked for: every request
 * answered in a turn had arrived before the turn began, so the stat, made after that, sees any
 * publish its client can have seen finish. pool/ and by-hash/ files never change under their
 * name, so their stat is repeated at most every `immutableRecheckMs` (they can only vanish).
 * A name that still shows the same inode shows bytes that were checked to lie inside the tree
 * when cached.
 */
export class FileCache {
  private readonly entries = new Map<string, Entry>();
  private readonly seenOnce = new Set<string>();
  private usedBytes = 0;
  private turn = 0;
  private turnEnding = false;

  /**
   * `allImmutable`: every name holds one content forever (the content-addressed pool, whose
   * files are named by SHA-256), whatever it looks like.
   */
  constructor(
    private readonly root: string,
    private readonly options: FileCacheOptions = DEFAULT_FILE_CACHE,
    private readonly allImmutable = false,
  ) {}

  /** The cached version of `relative` when it is still the file on disk; synchronous, for the hot path. */
  lookup(relative: string): FileRepresentation | undefined {
    const e = this.entries.get(relative);
    if (e === undefined) return undefined;
    const turn = this.currentTurn();
    const now = e.immutable ? Date.now() : 0;
    if (e.immutable ? now - e.checkedAt >= this.options.immutableRecheckMs : e.checkedTurn !== turn) {
      if (!sameIdentity(statOrUndefined(`${this.root}/${relative}`) ?? NO_FILE, e.rep.identity)) {
        this.drop(relative, e);
        return undefined;
      }
      e.checkedAt = now;
      e.checkedTurn = turn;
    }
    e.used = true;
    return e.rep;
  }

  /** Whether a file of `size` bytes just requested should be read into memory now. */
  wants(relative: string, size: number): boolean {
    if (size > this.options.maxFileBytes || size > this.options.budgetBytes) return false;
    if (size <= this.options.eagerBytes) return true;
    if (this.seenOnce.delete(relative)) return true;
    if (this.seenOnce.size >= SEEN_ONCE_LIMIT) this.seenOnce.clear();
    this.seenOnce.add(relative);
    return false;
  }

  /** Keeps a representation that holds its body, evicting what was not used lately to stay in budget. */
  store(relative: string, rep: FileRepresentation): void {
    const old = this.entries.get(relative);
    if (old !== undefined) this.drop(relative, old);
    // Not trusted for the current turn: the bytes may have been read before the requests of this turn arrived.
    this.entries.set(relative, { rep, immutable: this.allImmutable || isImmutable(relative), checkedAt: Date.now(), checkedTurn: -1, used: false });
    this.usedBytes += rep.size;
    this.evictOverBudget();
  }

  /** Bytes of file content held. */
  get bytes(): number {
    return this.usedBytes;
  }

  /** A number that changes between event-loop turns (counted only while lookups happen). */
  private currentTurn(): number {
    if (!this.turnEnding) {
      this.turnEnding = true;
      setImmediate(() => {
        this.turn++;
        this.turnEnding = false;
      });
    }
    return this.turn;
  }

  private evictOverBudget(): void {
    // Two passes at most: the first clears every second chance it meets.
    for (let pass = 0; pass < 2 && this.usedBytes > this.options.budgetBytes; pass++) {
      for (const [relative, e] of this.entries) {
        if (this.usedBytes <= this.options.budgetBytes) return;
        if (e.used) e.used = false;
        else this.drop(relative, e);
      }
    }
  }

  private drop(relative: string, e: Entry): void {
    this.entries.delete(relative);
    this.usedBytes -= e.rep.size;
  }
}

const NO_FILE = { dev: -1, ino: -1, size: -1, mtimeMs: -1, ctimeMs: -1 };

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    // ENOTDIR, EACCES...: whatever it is now, it is not the cached file.
    return undefined;
  }
}
