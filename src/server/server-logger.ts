import { pino, type Logger } from 'pino';
import { BatchedLogWriter } from './batched-log-writer.js';

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
export function serverLogger(o: { readonly quiet: boolean; readonly verbose: boolean }): ServerLogger {
  const destination = new BatchedLogWriter(2);
  const logger = pino({ level: o.quiet ? 'warn' : o.verbose ? 'debug' : 'info', base: { pid: process.pid } }, destination);
  return { logger, flush: () => destination.flush() };
}
