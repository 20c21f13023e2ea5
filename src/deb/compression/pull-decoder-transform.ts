import { Transform, type TransformCallback } from 'node:stream';
import type { PullDecoder } from './pull-decoder.js';

/**
 * A Transform around a PullDecoder that honours backpressure on its output: a small input that
 * decodes to gigabytes (a "compression bomb") is produced only as fast as it is consumed,
 * instead of being buffered whole in memory.
 */
export class PullDecoderTransform extends Transform {
  /** The callback of the write (or flush) whose output waits for the consumer to read. */
  private waiting: TransformCallback | undefined;

  constructor(private readonly decoder: PullDecoder) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.decoder.write(chunk);
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.pump(callback);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.decoder.end();
    } catch (error) {
      callback(error as Error);
      return;
    }
    this.pump(callback);
  }

  override _read(size: number): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      this.pump(waiting);
    }
    // Always, also after resuming: if the resumed write completed while the buffer still looked
    // full (Readable calls _read before taking the data out), Transform parked its callback and
    // only its own _read releases it; skipping that would stall the stream for good.
    super._read(size);
  }

  private pump(callback: TransformCallback): void {
    let out: Uint8Array | null;
    for (;;) {
      try {
        out = this.decoder.read();
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (out === null) break;
      if (!this.push(out)) {
        this.waiting = callback;
        return;
      }
    }
    callback();
  }
}
