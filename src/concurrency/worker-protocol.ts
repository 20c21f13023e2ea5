import type { TransferListItem } from 'node:worker_threads';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { DebstashError, type ErrorDetails } from '../errors/debstash-error.js';

/** What crosses to or from a worker: the value, and the buffers to move rather than copy. */
export interface WorkerPayload {
  readonly data: unknown;
  readonly transfer?: readonly TransferListItem[];
}

/**
 * The messages between a WorkerPool and the threads it runs (see serveWorkerJobs). A worker
 * runs one job at a time, so no message names its job. Inputs and outputs are acknowledged one
 * by one, so that neither side queues more than a few messages of the other's (memory stays
 * bounded however fast one side produces).
 */
export type ToWorker =
  | { readonly t: 'start'; readonly kind: string; readonly request: unknown }
  | { readonly t: 'in'; readonly data: unknown }
  /** The job's input ended; `broken` when it failed (the pool reports the input's own error). */
  | { readonly t: 'end'; readonly broken: boolean }
  /** The pool took an output: the worker may send another. */
  | { readonly t: 'ack' };

export type FromWorker =
  | { readonly t: 'out'; readonly data: unknown }
  /** The job read an input: the pool may send another. */
  | { readonly t: 'ack' }
  | { readonly t: 'done'; readonly data: unknown }
  | { readonly t: 'fail'; readonly error: SerializedError };

/** An error as it crosses threads: a DebstashError keeps its code and details. */
export interface SerializedError {
  readonly code?: string;
  readonly name: string;
  readonly message: string;
  readonly details?: ErrorDetails;
}

export function serializeError(error: unknown): SerializedError {
  if (error instanceof DebstashError) return { code: error.code, name: error.name, message: error.message, details: error.details };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

/** The error the job would have thrown in this thread: the same code, message and details. */
export function reviveError(e: SerializedError): Error {
  if (e.code !== undefined && Object.hasOwn(ERROR_CODES, e.code)) {
    return new DebstashError(e.code as ErrorCode, e.message, e.details ?? {});
  }
  // The classes the parsers throw for misuse (bad options) keep their class; others are Errors.
  return e.name === 'RangeError' ? new RangeError(e.message) : e.name === 'TypeError' ? new TypeError(e.message) : new Error(e.message);
}
