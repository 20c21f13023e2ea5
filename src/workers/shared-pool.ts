import { availableParallelism } from 'node:os';
import { WorkerPool } from '../concurrency/worker-pool.js';

let shared: WorkerPool | undefined;

/**
 * The process's one pool of worker threads: a thread per core beyond the main thread's (at
 * least one), started only when a job first needs it. Idle threads do not keep the process
 * alive, so commands exit as before.
 */
export function sharedWorkerPool(): WorkerPool {
  shared ??= new WorkerPool(new URL('./job-worker.js', import.meta.url), Math.max(1, availableParallelism() - 1));
  return shared;
}
