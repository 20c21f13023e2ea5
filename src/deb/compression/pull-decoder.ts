/**
 * A synchronous decoder driven from outside: the shape of debstash's pure-JS decoders (bzip2,
 * zstd), so that one stream wrapper gives them all backpressure.
 */
export interface PullDecoder {
  /** Hands over input; the decoder may keep a reference to it. */
  write(chunk: Uint8Array): void;
  /** No more input will come. */
  end(): void;
  /**
   * The next piece of output, or null when the decoder needs more input or, after `end`, has
   * produced everything. Throws a DebstashError on invalid input.
   */
  read(): Uint8Array | null;
}
