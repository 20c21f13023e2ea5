import type { Context } from '../../model/context.js';
import { ResourceLocks } from '../../model/resource-lock.js';
import { TaskRegistry } from '../../model/task-registry.js';
import type { Metrics } from '../metrics.js';

/** One set of locks per data dir: every server on it must serialize on the same resources. */
const locksByContext = new WeakMap<Context, ResourceLocks>();
/** One task list per server (its metrics object is its identity). */
const tasksByServer = new WeakMap<Metrics, TaskRegistry>();

/** The long-lived state of the API, made on the first request of a server. */
export function apiState(ctx: Context, metrics: Metrics): { readonly locks: ResourceLocks; readonly tasks: TaskRegistry } {
  let locks = locksByContext.get(ctx);
  if (locks === undefined) locksByContext.set(ctx, (locks = new ResourceLocks()));
  let tasks = tasksByServer.get(metrics);
  if (tasks === undefined) tasksByServer.set(metrics, (tasks = new TaskRegistry({ locks, onFinish: (kind, seconds, ok) => metrics.observeTask(kind, seconds, ok) })));
  return { locks, tasks };
}

/** Cancels the server's unfinished tasks and waits for their clean-up (no-op before any API use). */
export async function stopTasks(metrics: Metrics): Promise<void> {
  await tasksByServer.get(metrics)?.cancelAll();
}
