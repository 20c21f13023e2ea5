import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { publishError, throwIfCancelled } from './publish-error.js';
import { isErrno } from './tree-files.js';

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
}

/** Locks this process holds, by lock file, with their tokens; and the queue for each. */
const held = new Map<string, string>();
const queues = new Map<string, Promise<unknown>>();

function alive(h: Holder): boolean {
  // A lock of this process that it does not hold is a dead process's that had our pid
  // (containers restart as pid 1).
  if (h.host === hostname() && h.pid === process.pid) return [...held.values()].includes(h.token);
  if (h.host !== hostname()) return true;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return !isErrno(err, 'ESRCH');
  }
}

/** Waits for `p`, or fails with DEBSTASH_E_CANCELLED as soon as `signal` aborts. */
async function untilDoneOrAborted(p: Promise<unknown>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) {
    await p;
    return;
  }
  throwIfCancelled(signal, 'publish');
  let onAbort: (() => void) | undefined;
  try {
    const aborted = new Promise<void>((resolve) => {
      onAbort = (): void => resolve();
      signal.addEventListener('abort', onAbort, { once: true });
    });
    await Promise.race([p, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
  }
  throwIfCancelled(signal, 'publish');
}

async function tryCreate(path: string, me: Holder): Promise<boolean> {
  try {
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(JSON.stringify(me));
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if (isErrno(err, 'EEXIST')) return false;
    // The directory was removed by a holder that just finished (it prunes it when empty).
    if (isErrno(err, 'ENOENT')) {
      await mkdir(dirname(path), { recursive: true });
      return tryCreate(path, me);
    }
    throw err;
  }
}

/**
 * Takes the publisher's lock `DIR/lock` (DIR is a prefix's `.debstash/`): publishes to the
 * prefix in this process run one after the other; another process's publish is waited for up
 * to `waitMs`, then DEBSTASH_E_PUBLISH_BUSY. A lock left by a process that died (kill -9) is
 * taken over. Resolves with the function that releases it.
 */
export async function lockPublisher(stateDir: string, options: { waitMs?: number; signal?: AbortSignal } = {}): Promise<() => Promise<void>> {
  const path = join(stateDir, 'lock');
  const before = queues.get(path) ?? Promise.resolve();
  let done!: () => void;
  const mine = new Promise<void>((resolve) => (done = resolve));
  const chained = before.then(() => mine);
  queues.set(path, chained);
  try {
    await untilDoneOrAborted(before, options.signal);
    const me: Holder = { pid: process.pid, host: hostname(), token: randomBytes(12).toString('hex') };
    await mkdir(stateDir, { recursive: true });
    const deadline = Date.now() + (options.waitMs ?? 30_000);
    let unreadable = 0;
    for (;;) {
      throwIfCancelled(options.signal, 'publish');
      if (await tryCreate(path, me)) break;
      let holder: Holder | undefined;
      try {
        holder = JSON.parse(await readFile(path, 'utf8')) as Holder;
        unreadable = 0;
      } catch {
        // Being written right now, or left empty by a process that died while writing it.
        holder = undefined;
        unreadable++;
      }
      if ((holder !== undefined && !alive(holder)) || unreadable > 40) {
        await unlink(path).catch(() => undefined);
        unreadable = 0;
        continue;
      }
      if (Date.now() >= deadline) {
        throw publishError('busy', `another process${holder ? ` (pid ${holder.pid} on ${holder.host})` : ''} is publishing to ${stateDir}; try again when it is done`, {
          lock: path,
          ...(holder ? { pid: holder.pid } : {}),
        });
      }
      await sleep(50);
    }
    held.set(path, me.token);
    return async () => {
      held.delete(path);
      try {
        const now = JSON.parse(await readFile(path, 'utf8')) as Holder;
        if (now.token === me.token) await unlink(path);
      } catch {
        // gone already
      } finally {
        done();
        if (queues.get(path) === chained) queues.delete(path);
      }
    };
  } catch (err) {
    done();
    if (queues.get(path) === chained) queues.delete(path);
    throw err;
  }
}
