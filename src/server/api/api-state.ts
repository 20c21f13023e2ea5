import type { Context } from '../../model/context.js';
import { TaskRegistry } from '../../model/task-registry.js';
import type { Metrics } from '../metrics.js';

/** One task runner per server (its metrics object is its identity); the tasks themselves are rows of the store. */
const tasksByServer = new WeakMap<Metrics, TaskRegistry>();

/** The long-lived state of the API, made on first use by a server. */
export function apiState(ctx: Context, metrics: Metrics): { readonly tasks: TaskRegistry } {
  let tasks = tasksByServer.get(metrics);
  if (tasks === undefined) {
    tasks = new TaskRegistry({ store: ctx.store, owner: ctx.locks.owner, onFinish: (kind, seconds, ok) => metrics.observeTask(kind, seconds, ok) });
    tasksByServer.set(metrics, tasks);
  }
  return { tasks };
}

/** Cancels the server's unfinished tasks and waits for their clean-up (no-op before any API use). */
export async function stopTasks(metrics: Metrics): Promise<void> {
  await tasksByServer.get(metrics)?.cancelAll();
}
