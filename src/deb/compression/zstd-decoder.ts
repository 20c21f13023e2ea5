import { Decompress } from 'fzstd';
import { DebstashError } from '../../errors/debstash-error.js';
import type { PullDecoder } from './pull-decoder.js';

/**
 * fzstd is fed this many bytes at a time. It decodes every complete block in what it is
 * given and hands all of it over at once; a block of 4 bytes can expand to 128 KiB, so small
 * slices keep one step's output bounded (about 16 MiB) whatever the input.
 */
const SLICE = 512;

/**
 * Zstandard frames (several in a row, skippable frames included) decoded by fzstd, as a
 * PullDecoder. fzstd does not verify the optional content checksum of a frame; a truncated
 * or malformed frame is an error.
 */
export class ZstdDecoder implements PullDecoder {
  private readonly inner: Decompress;
  private readonly output: Uint8Array[] = [];
  private readonly input: Uint8Array[] = [];
  private inputOffset = 0;
  private ended = false;
  private finalPushed = false;
  private sawInput = false;
  private consumed = 0;

  constructor(private readonly source = 'zstd data') {
    this.inner = new Decompress((data) => {
      if (data.length > 0) this.output.push(data);
    });
  }

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.sawInput = true;
    this.input.push(chunk);
  }

  end(): void {
    this.ended = true;
  }

  read(): Uint8Array | null {
    for (;;) {
      const out = this.output.shift();
      if (out) return out;
      const head = this.input[0];
      if (head) {
        const slice = head.subarray(this.inputOffset, this.inputOffset + SLICE);
        this.inputOffset += slice.length;
        if (this.inputOffset >= head.length) {
          this.input.shift();
          this.inputOffset = 0;
        }
        this.push(slice, false);
        this.consumed += slice.length;
        continue;
      }
      if (!this.ended || this.finalPushed) return null;
      this.finalPushed = true;
      if (!this.sawInput) throw this.corrupt('the input is empty, not a zstd frame');
      this.push(new Uint8Array(0), true);
    }
  }

  private push(chunk: Uint8Array, final: boolean): void {
    try {
      this.inner.push(chunk, final);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // fzstd's UnexpectedEOF
      if (code === 5) throw this.corrupt('the data ends in the middle of a zstd frame (truncated)', error);
      throw this.corrupt(`invalid zstd data (${(error as Error).message})`, error);
    }
  }

  private corrupt(what: string, cause?: unknown): DebstashError {
    return new DebstashError(
      'DEBSTASH_E_COMPRESSION_CORRUPT',
      `${this.source}: ${what}, near byte ${this.consumed}`,
      { compression: 'zstd', offset: this.consumed },
      { cause },
    );
  }
}
