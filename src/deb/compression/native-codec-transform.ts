import { Transform, type TransformCallback } from 'node:stream';

/**
 * A Transform in front of a native codec stream (zlib, liblzma), for two things those streams
 * do not do themselves: turn their errors into debstash's (`mapError`), and feed them input in
 * slices so that one write of highly compressed input cannot expand into an unbounded burst of
 * output before backpressure applies.
 */
export class NativeCodecTransform extends Transform {
  private flushCallback: TransformCallback | undefined;

  constructor(
    private readonly inner: Transform,
    private readonly mapError: (error: unknown) => Error,
    private readonly sliceSize: number,
  ) {
    super();
    inner.on('data', (data: Buffer) => {
      if (!this.push(data)) inner.pause();
    });
    inner.on('end', () => {
      const callback = this.flushCallback;
      this.flushCallback = undefined;
      callback?.();
    });
    inner.on('error', (error: unknown) => this.destroy(this.mapError(error)));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.length === 0) {
      callback();
      return;
    }
    // The inner stream queues the slices and decodes them one at a time as its output drains;
    // this write completes when the last slice has been taken.
    for (let start = 0; start < chunk.length; start += this.sliceSize) {
      const slice = chunk.subarray(start, start + this.sliceSize);
      if (start + this.sliceSize >= chunk.length) {
        this.inner.write(slice, (error) => {
          if (!error) callback();
        });
      } else {
        this.inner.write(slice);
      }
    }
  }

  override _flush(callback: TransformCallback): void {
    this.flushCallback = callback;
    this.inner.end();
  }

  override _read(size: number): void {
    this.inner.resume();
    super._read(size);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.inner.destroy();
    callback(error);
  }
}
