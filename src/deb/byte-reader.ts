/**
 * Reads exact byte counts from a stream of chunks of any size: the cursor under the ar and tar
 * readers. It copies only when a requested range spans chunks.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkPos = 0;
  private done = false;
  private consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  /** Bytes handed out or skipped so far. */
  get offset(): number {
    return this.consumed;
  }

  /** True if the source has nothing more (waits for it to say so). */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /**
   * Exactly `n` bytes, or fewer if the source ends first (the caller decides whether that is an
   * error). The result may share memory with the source's chunks.
   */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.fill())) return new Uint8Array(0);
    const available = this.chunk.length - this.chunkPos;
    if (available >= n) return this.take(n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n && (await this.fill())) {
      const part = this.take(Math.min(n - filled, this.chunk.length - this.chunkPos));
      out.set(part, filled);
      filled += part.length;
    }
    return filled === n ? out : out.subarray(0, filled);
  }

  /**
   * Up to `n` bytes as the source delivers them, without copying; stops early if the source
   * ends (compare the total with `n`).
   */
  async *pieces(n: number): AsyncGenerator<Uint8Array, void, undefined> {
    let remaining = n;
    while (remaining > 0 && (await this.fill())) {
      const part = this.take(Math.min(remaining, this.chunk.length - this.chunkPos));
      remaining -= part.length;
      yield part;
    }
  }

  /** Skips up to `n` bytes; returns how many were skipped (fewer if the source ended). */
  async skip(n: number): Promise<number> {
    let skipped = 0;
    while (skipped < n && (await this.fill())) {
      skipped += this.take(Math.min(n - skipped, this.chunk.length - this.chunkPos)).length;
    }
    return skipped;
  }

  /** Stops reading the source early. */
  async close(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.iterator.return?.();
  }

  private take(n: number): Uint8Array {
    const part = this.chunk.subarray(this.chunkPos, this.chunkPos + n);
    this.chunkPos += n;
    this.consumed += n;
    return part;
  }

  /** Makes at least one unread byte available; false at the end of the source. */
  private async fill(): Promise<boolean> {
    while (this.chunkPos >= this.chunk.length) {
      if (this.done) return false;
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return false;
      }
      this.chunk = next.value;
      this.chunkPos = 0;
    }
    return true;
  }
}

/** How much of an archive member's data is left, and whether a consumer has started on it. */
export interface MemberBodyState {
  remaining: number;
  used: boolean;
}

/**
 * The body of an archive member: the next `state.remaining` bytes of `reader`, streamed without
 * copying and counted down in `state` (the archive reader skips whatever is left). It can be
 * iterated once (`what` names the member in the error a second time); if the source ends
 * early, it throws the error `ended()` makes.
 */
export function memberBody(reader: ByteReader, state: MemberBodyState, what: string, ended: () => Error): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]: () => {
      if (state.used) throw new Error(`${what} can be read only once`);
      state.used = true;
      return readRemaining(reader, state, ended);
    },
  };
}

async function* readRemaining(reader: ByteReader, state: MemberBodyState, ended: () => Error): AsyncGenerator<Uint8Array, void, undefined> {
  while (state.remaining > 0) {
    let got = 0;
    for await (const piece of reader.pieces(state.remaining)) {
      got += piece.length;
      state.remaining -= piece.length;
      yield piece;
    }
    if (got === 0) throw ended();
  }
}
