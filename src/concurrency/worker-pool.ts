import { type TransferListItem, Worker } from 'node:worker_threads';
import { DebstashError } from '../errors/debstash-error.js';
import { Semaphore } from './semaphore.js';
import { type FromWorker, reviveError, type ToWorker, type WorkerPayload } from './worker-protocol.js';

/** Inputs sent ahead of the worker's acknowledgements: enough to keep it busy, few enough to bound memory. */
const INPUT_WINDOW = 2;

/**
 * A few worker threads running one script (whose body is serveWorkerJobs), each running one
 * job at a time; at most `size` jobs run at once and the rest wait in FIFO order. Threads are
 * started when first needed and kept for the next job; an idle thread is unref'd, so it never
 * keeps a command from exiting. A job that is cancelled, abandoned, or whose thread dies takes
 * its thread down with it (terminate), and a fresh one is started for the next job.
 *
 * Errors a job throws in the worker reject here with the same class, code, message and
 * details (see reviveError); a thread that dies fails its job with DEBSTASH_E_WORKER_FAILED.
 */
export class WorkerPool {
  readonly size: number;
  readonly #script: URL;
  readonly #slots: Semaphore;
  readonly #idle: Worker[] = [];
  readonly #live = new Set<Worker>();

  constructor(script: URL, size: number) {
    this.#script = script;
    this.#slots = new Semaphore(size);
    this.size = size;
  }

  /** Jobs running now. */
  get running(): number {
    return this.#slots.used;
  }

  /** Runs a job that takes no streamed input and emits nothing; resolves with its result. */
  async call(kind: string, request: WorkerPayload, signal?: AbortSignal): Promise<unknown> {
    const job = this.stream(kind, request, undefined, signal);
    for (;;) {
      const step = await job.next();
      if (step.done === true) return step.value;
    }
  }

  /**
   * Runs a job fed with `input` (each item moved or copied to the worker as it is read, a few
   * ahead at most), yielding what it emits and returning its result. Stopping the iteration
   * early or aborting `signal` terminates the thread; an error of `input` is rethrown once the
   * job has emitted what it made of the input before it.
   */
  async *stream(
    kind: string,
    request: WorkerPayload,
    input: AsyncIterable<WorkerPayload> | undefined,
    signal?: AbortSignal,
  ): AsyncGenerator<unknown, unknown> {
    const release = await this.#slots.acquire(signal);
    const worker = this.#take();
    const channel = new Channel(worker, kind);
    const onAbort = (): void => channel.fail(signal?.reason);
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let inputError: { error: unknown } | undefined;
    let iterator: AsyncIterator<WorkerPayload> | undefined;
    let inputOpen = input !== undefined;
    const post = (m: ToWorker, transfer?: readonly TransferListItem[]): void => worker.postMessage(m, transfer);

    const pump = async (from: AsyncIterable<WorkerPayload>): Promise<void> => {
      const it = (iterator = from[Symbol.asyncIterator]());
      try {
        for (;;) {
          while (channel.inFlight >= INPUT_WINDOW && !channel.settled) await channel.changed();
          if (channel.settled) return;
          const next = await it.next();
          if (channel.settled) return;
          if (next.done === true) {
            inputOpen = false;
            post({ t: 'end', broken: false });
            return;
          }
          channel.inFlight++;
          post({ t: 'in', data: next.value.data }, next.value.transfer);
        }
      } catch (error) {
        inputOpen = false;
        inputError = { error };
        if (!channel.settled) post({ t: 'end', broken: true });
      }
    };

    let clean = false;
    try {
      post({ t: 'start', kind, request: request.data }, request.transfer);
      if (input === undefined) post({ t: 'end', broken: false });
      else void pump(input);
      for (;;) {
        const step = await channel.next();
        if (step.done) {
          clean = true;
          return step.value;
        }
        post({ t: 'ack' });
        yield step.value;
      }
    } catch (error) {
      // The worker stops on a broken input; what the caller must see is the input's error.
      throw inputError !== undefined ? inputError.error : error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      channel.detach();
      if (inputOpen && iterator !== undefined) {
        // Not awaited: the input may be stuck in a read that only closing it ends.
        void Promise.resolve(iterator.return?.()).catch(() => undefined);
      }
      if (clean) this.#giveBack(worker);
      else this.#retire(worker);
      release();
    }
  }

  /** Terminates every thread; for tests and shutdown. Jobs still running fail. */
  async close(): Promise<void> {
    const all = [...this.#live];
    this.#idle.length = 0;
    this.#live.clear();
    await Promise.all(all.map((w) => w.terminate()));
  }

  #take(): Worker {
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      idle.ref();
      return idle;
    }
    const worker = new Worker(this.#script);
    this.#live.add(worker);
    return worker;
  }

  #giveBack(worker: Worker): void {
    if (!this.#live.has(worker)) return;
    worker.unref();
    this.#idle.push(worker);
  }

  #retire(worker: Worker): void {
    this.#live.delete(worker);
    void worker.terminate();
  }
}

type Step = { readonly done: false; readonly value: unknown } | { readonly done: true; readonly value: unknown };

/** One job's view of its worker: outputs not yet taken, the outcome, and a wake-up for waiters. */
class Channel {
  inFlight = 0;
  readonly #worker: Worker;
  readonly #kind: string;
  readonly #outputs: unknown[] = [];
  #outcome: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown } | undefined;
  #wake: (() => void) | undefined;
  readonly #onMessage = (m: FromWorker): void => this.#message(m);
  readonly #onError = (error: Error): void => this.#died(`failed: ${error.message}`);
  readonly #onExit = (code: number): void => this.#died(`exited with code ${code}`);

  constructor(worker: Worker, kind: string) {
    this.#worker = worker;
    this.#kind = kind;
    worker.on('message', this.#onMessage);
    worker.on('error', this.#onError);
    worker.on('exit', this.#onExit);
  }

  get settled(): boolean {
    return this.#outcome !== undefined;
  }

  /** Resolves at the next event (a message, the end, a failure). */
  changed(): Promise<void> {
    return new Promise((resolve) => {
      const previous = this.#wake;
      this.#wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** The next output, or the result; throws the job's error. Outputs come before the outcome. */
  async next(): Promise<Step> {
    for (;;) {
      if (this.#outputs.length > 0) return { done: false, value: this.#outputs.shift() };
      const outcome = this.#outcome;
      if (outcome !== undefined) {
        if (outcome.ok) return { done: true, value: outcome.value };
        throw outcome.error;
      }
      await this.changed();
    }
  }

  fail(error: unknown): void {
    if (this.#outcome !== undefined) return;
    // A cancellation wins over outputs not yet taken: the caller asked to stop.
    this.#outputs.length = 0;
    this.#outcome = { ok: false, error };
    this.#notify();
  }

  detach(): void {
    this.#worker.off('message', this.#onMessage);
    this.#worker.off('error', this.#onError);
    this.#worker.off('exit', this.#onExit);
  }

  #message(m: FromWorker): void {
    if (this.#outcome !== undefined) return;
    switch (m.t) {
      case 'out':
        this.#outputs.push(m.data);
        break;
      case 'ack':
        this.inFlight--;
        break;
      case 'done':
        this.#outcome = { ok: true, value: m.data };
        break;
      case 'fail':
        this.#outcome = { ok: false, error: reviveError(m.error) };
        break;
    }
    this.#notify();
  }

  #died(how: string): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = {
      ok: false,
      error: new DebstashError('DEBSTASH_E_WORKER_FAILED', `the worker thread of a ${this.#kind} job ${how}`, { kind: this.#kind }),
    };
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
