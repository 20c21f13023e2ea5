import { type ChildProcessByStdio, spawn, spawnSync } from 'node:child_process';
import { Duplex } from 'node:stream';
import type { Readable, Writable } from 'node:stream';
import { DebstashError } from '../../errors/debstash-error.js';

let available: boolean | undefined;

/**
 * Whether the `xz` program can be run. It is part of every Debian system (xz-utils is
 * Priority: required) and decodes about twice as fast as liblzma through lzma-native here
 * (0.6 s against 1.1-1.7 s for bookworm's Packages.xz), and on its own core.
 */
export function haveXzProgram(): boolean {
  available ??= spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;
  return available;
}

/**
 * `xz --decompress` in a child process, as a Duplex: compressed bytes in, text out, with
 * backpressure both ways. The readable side ends only once xz has exited 0, so corrupt or
 * truncated input is an error before the end, never a silently short result.
 */
export class XzProcessDecoder extends Duplex {
  readonly #child: ChildProcessByStdio<Writable, Readable, Readable>;
  #stderr = '';
  #stdoutEnded = false;
  #exit: number | null | undefined;

  constructor(
    private readonly source: string,
    memlimitBytes: number,
  ) {
    super();
    this.#child = spawn('xz', ['--decompress', '--stdout', '--quiet', `--memlimit-decompress=${memlimitBytes}`, '--threads=0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const child = this.#child;
    child.stdout.on('data', (data: Buffer) => {
      if (!this.push(data)) child.stdout.pause();
    });
    child.stdout.on('end', () => {
      this.#stdoutEnded = true;
      this.#settle();
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (this.#stderr.length < 4096) this.#stderr += s;
    });
    child.on('close', (code) => {
      this.#exit = code;
      this.#settle();
    });
    child.on('error', (err) => this.destroy(err));
    // EPIPE when xz stops reading early (bad data): its exit status says why.
    child.stdin.on('error', () => undefined);
  }

  #settle(): void {
    if (this.#exit === undefined || !this.#stdoutEnded || this.destroyed) return;
    if (this.#exit === 0) {
      this.push(null);
      return;
    }
    const why = this.#stderr.trim().replace(/^xz: \(stdin\): /, '') || `xz exited with status ${this.#exit}`;
    const truncated = /unexpected end of input/i.test(why);
    this.destroy(
      new DebstashError(
        'DEBSTASH_E_COMPRESSION_CORRUPT',
        `${this.source}: ${truncated ? 'the xz data ends early (truncated)' : `invalid xz data (${why})`}`,
        { compression: 'xz' },
      ),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.#child.stdin.write(chunk)) callback();
    else this.#child.stdin.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#child.stdin.end(callback);
  }

  override _read(): void {
    this.#child.stdout.resume();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.#exit === undefined) this.#child.kill();
    callback(error);
  }
}
