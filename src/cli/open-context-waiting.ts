import type { DebstashError } from '../errors/debstash-error.js';
import { closeContext, type Context } from '../model/context.js';
import { startWaitingServer } from '../server/waiting-server.js';
import { isTransientBackendError, retryUntilReachable } from '../store/wait-for-store.js';
import { cancelOnSignal } from './cancel-on-signal.js';

/**
 * The start of `up` and `serve` when the database (or the bucket) is down: the coded error is logged, the
 * listen address answers at once (/readyz 503 with the code, see startWaitingServer) and the
 * backends are tried again with a capped backoff until they answer or the process is stopped.
 * Returns the opened context and the port the stand-in had, for the real server to take over
 * (it may have been 0), or undefined when it was stopped (SIGTERM, Ctrl-C) while waiting: a
 * stop is not a failure. Any other failure ends it at once.
 */
export async function openContextWaiting(open: () => Promise<Context>, listen: { readonly host: string; readonly port: number; readonly setting: string }, say: (line: string) => void): Promise<{ readonly ctx: Context; readonly port: number } | undefined> {
  let first: DebstashError;
  try {
    return { ctx: await open(), port: listen.port };
  } catch (err) {
    if (!isTransientBackendError(err)) throw err;
    first = err;
  }
  say(first.describe());
  const waiting = await startWaitingServer(listen.host, listen.port, first, listen.setting);
  say(`waiting for the store: answering 503 on ${waiting.url}/ until it answers (health ${waiting.url}/readyz)`);
  const cancel = cancelOnSignal();
  try {
    const ctx = await retryUntilReachable(open, first, {
      signal: cancel.signal,
      onRetry: (err, delayMs) => {
        waiting.setReason(err);
        say(`still unreachable (${err.code}), trying again in ${delayMs / 1000} s`);
      },
    });
    if (cancel.signal.aborted) {
      // The stop came while the last attempt was connecting: it still wins.
      await closeContext(ctx);
      say('stopped while waiting for the store');
      return undefined;
    }
    say('the store answers: starting');
    return { ctx, port: waiting.port };
  } catch (err) {
    if (!cancel.signal.aborted) throw err;
    say('stopped while waiting for the store');
    return undefined;
  } finally {
    cancel.dispose();
    await waiting.close();
  }
}
