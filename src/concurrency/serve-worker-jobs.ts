import { parentPort, type TransferListItem } from 'node:worker_threads';
import { type FromWorker, serializeError, type ToWorker, type WorkerPayload } from './worker-protocol.js';

/**
 * One kind of job, run inside a worker thread. `input` yields what the pool streams in (it
 * throws if the caller's input broke); `emit` sends an output and resolves once the pool is
 * ready for another. What it returns is the job's result.
 */
export type WorkerJobHandler = (
  request: unknown,
  input: AsyncIterable<unknown>,
  emit: (output: WorkerPayload) => Promise<void>,
) => Promise<WorkerPayload>;

/** Outputs sent ahead of the pool's acknowledgements. */
const OUTPUT_WINDOW = 2;

/** Thrown into a job when the caller's input failed; the pool reports the caller's error instead. */
class InputBroken extends Error {}

/**
 * The body of a worker thread's script: runs the jobs the pool starts, one at a time, with the
 * handler of their kind. A failed job is reported with its error (code and details kept) and the
 * thread stays ready for the next one.
 */
export function serveWorkerJobs(handlers: Readonly<Record<string, WorkerJobHandler>>): void {
  const port = parentPort;
  if (port === null) throw new Error('serveWorkerJobs runs only in a worker thread');
  const post = (m: FromWorker, transfer?: readonly TransferListItem[]): void => port.postMessage(m, transfer);

  // The running job's state; reset by each 'start'.
  let inputs: unknown[] = [];
  let inputEnd: 'open' | 'ended' | 'broken' = 'open';
  let wakeInput: (() => void) | undefined;
  let unacked = 0;
  let wakeOutput: (() => void) | undefined;

  async function* input(): AsyncGenerator<unknown> {
    for (;;) {
      if (inputs.length > 0) {
        const next = inputs.shift();
        post({ t: 'ack' });
        yield next;
        continue;
      }
      if (inputEnd === 'ended') return;
      if (inputEnd === 'broken') throw new InputBroken('the input of the job failed');
      await new Promise<void>((resolve) => (wakeInput = resolve));
    }
  }

  const emit = async (output: WorkerPayload): Promise<void> => {
    while (unacked >= OUTPUT_WINDOW) await new Promise<void>((resolve) => (wakeOutput = resolve));
    unacked++;
    post({ t: 'out', data: output.data }, output.transfer);
  };

  async function run(kind: string, request: unknown): Promise<void> {
    try {
      const handler = handlers[kind];
      if (handler === undefined) throw new Error(`no worker job of kind "${kind}"`);
      const result = await handler(request, input(), emit);
      post({ t: 'done', data: result.data }, result.transfer);
    } catch (error) {
      post({ t: 'fail', error: serializeError(error) });
    }
  }

  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'start':
        inputs = [];
        inputEnd = 'open';
        unacked = 0;
        void run(m.kind, m.request);
        return;
      case 'in':
        inputs.push(m.data);
        break;
      case 'end':
        inputEnd = m.broken ? 'broken' : 'ended';
        break;
      case 'ack':
        unacked--;
        wakeOutput?.();
        wakeOutput = undefined;
        return;
    }
    wakeInput?.();
    wakeInput = undefined;
  });
}
