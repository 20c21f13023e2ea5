import { pino, type Logger } from 'pino';
import { BatchedLogWriter } from './batched-log-writer.js';

/** What POSIX guarantees a pipe writes atomically (Linux: 4096). */
const PIPE_BUF = 4096;

export interface ServerLogger {
  readonly logger: Logger;
  /** Writes out what is still buffered, in order; await it before the process exits. */
  flush(): Promise<void>;
}

/**
 * JSON lines on stderr, one per request at `info`: written asynchronously, a batch per
 * event-loop turn, so a busy static path neither waits on the terminal or the log collector
 * nor pays a system call per request. `--quiet` keeps warnings and errors, `--verbose` adds
 * who asked (address, user agent, range).
 */
export function serverLogger(o: { readonly quiet: boolean; readonly verbose: boolean; readonly sharedStderr?: boolean }): ServerLogger {
  // Processes that share stderr (serve --workers) write whole lines of at most PIPE_BUF at a time.
  const destination = new BatchedLogWriter(2, o.sharedStderr === true ? PIPE_BUF : Infinity);
  const logger = pino({ level: o.quiet ? 'warn' : o.verbose ? 'debug' : 'info', base: { pid: process.pid } }, destination);
  return { logger, flush: () => destination.flush() };
}
