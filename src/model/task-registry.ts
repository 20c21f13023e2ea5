import { randomUUID } from 'node:crypto';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import type { ProgressEvent, ProgressSink } from './progress.js';
import type { ResourceLocks } from './resource-lock.js';

export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

type ErrorBody = ReturnType<DebstashError['toJSON']>;

/** What a client sees of a task: `GET /api/tasks/ID`, and the last event of its stream. */
export interface TaskView {
  readonly id: string;
  readonly kind: string;
  /** The resources it locks, e.g. ["publish:/stable", "snapshot:s1"]. */
  readonly resources: readonly string[];
  readonly state: TaskState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** The latest phase and counters reported. */
  readonly progress?: { readonly phase: string; readonly message?: string; readonly done?: number; readonly total?: number; readonly bytesDone?: number; readonly bytesTotal?: number };
  readonly warnings: readonly string[];
  readonly result?: unknown;
  readonly error?: ErrorBody;
}

/** One entry of a task's event stream: a progress event, a state change, or the end. */
export type TaskEvent = ProgressEvent | { readonly type: 'state'; readonly state: TaskState } | { readonly type: 'end'; readonly task: TaskView };

export interface TaskIo {
  readonly signal: AbortSignal;
  readonly progress: ProgressSink;
}

const FINAL: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'cancelled']);
/** Phase, warning and state events kept for late subscribers; counters keep only the latest. */
const HISTORY_LIMIT = 500;

class Task {
  view: TaskView;
  readonly controller = new AbortController();
  readonly history: TaskEvent[] = [];
  lastProgress: TaskEvent | undefined;
  readonly listeners = new Set<(e: TaskEvent) => void>();

  constructor(id: string, kind: string, resources: readonly string[]) {
    this.view = { id, kind, resources, state: 'queued', createdAt: new Date().toISOString(), warnings: [] };
  }

  get finished(): boolean {
    return FINAL.has(this.view.state);
  }

  emit(e: TaskEvent): void {
    if (e.type === 'progress') this.lastProgress = e;
    else if (this.history.length < HISTORY_LIMIT) this.history.push(e);
    for (const l of this.listeners) l(e);
  }

  report(e: ProgressEvent): void {
    if (this.finished) return;
    const v = this.view;
    if (e.type === 'phase') this.view = { ...v, progress: { phase: e.phase, message: e.message } };
    else if (e.type === 'progress') this.view = { ...v, progress: { ...v.progress, phase: e.phase, done: e.done, total: e.total, bytesDone: e.bytesDone, bytesTotal: e.bytesTotal } };
    else this.view = { ...v, warnings: [...v.warnings, e.message] };
    this.emit(e);
  }

  setState(state: TaskState, extra: Partial<TaskView> = {}): void {
    this.view = { ...this.view, ...extra, state };
    this.emit({ type: 'state', state });
    if (this.finished) {
      this.emit({ type: 'end', task: this.view });
      this.listeners.clear();
    }
  }
}

/**
 * Long operations run as tasks: started at once, run when the locks of their resources are
 * free, observable while they run, cancellable. Kept in memory; finished ones beyond `keep`
 * are forgotten oldest first.
 */
export class TaskRegistry {
  readonly #tasks = new Map<string, Task>();
  /** Tasks queued or running, so shutdown can wait for their clean-up. */
  readonly #pending = new Set<Promise<void>>();
  readonly #locks: ResourceLocks;
  readonly #keep: number;
  readonly #onFinish: (kind: string, seconds: number, ok: boolean) => void;

  constructor(options: { locks: ResourceLocks; keep?: number; onFinish?: (kind: string, seconds: number, ok: boolean) => void }) {
    this.#locks = options.locks;
    this.#keep = options.keep ?? 100;
    this.#onFinish = options.onFinish ?? (() => undefined);
  }

  /** Queues `run` under the locks of `resources`; the returned view is the task as queued. */
  start({ kind, resources, run }: { readonly kind: string; readonly resources: readonly string[]; readonly run: (io: TaskIo) => Promise<unknown> }): TaskView {
    const task = new Task(randomUUID(), kind, resources);
    this.#tasks.set(task.view.id, task);
    this.#prune();
    const pending = this.#locks.with(resources, () => this.#run(task, run));
    this.#pending.add(pending);
    void pending.finally(() => this.#pending.delete(pending));
    return task.view;
  }

  async #run(task: Task, run: (io: TaskIo) => Promise<unknown>): Promise<void> {
    if (task.finished) return;
    const started = Date.now();
    task.setState('running', { startedAt: new Date(started).toISOString() });
    const signal = task.controller.signal;
    try {
      const result = await run({ signal, progress: (e) => task.report(e) });
      if (signal.aborted) throw signal.reason;
      task.setState('succeeded', { finishedAt: new Date().toISOString(), result });
    } catch (err) {
      const error = signal.aborted ? cancelledError(err) : errorBody(err);
      task.setState(signal.aborted ? 'cancelled' : 'failed', { finishedAt: new Date().toISOString(), error });
    }
    this.#onFinish(task.view.kind, (Date.now() - started) / 1000, task.view.state === 'succeeded');
  }

  get(id: string): TaskView {
    return this.#require(id).view;
  }

  /** Most recent first. */
  list(): TaskView[] {
    return [...this.#tasks.values()].map((t) => t.view).reverse();
  }

  /**
   * Stops a task: a queued one never starts, a running one sees its signal abort and cleans up.
   * A finished task is left as it is.
   */
  cancel(id: string): TaskView {
    const task = this.#require(id);
    if (task.finished) return task.view;
    task.controller.abort(new DebstashError('DEBSTASH_E_CANCELLED', `task ${id} was cancelled`, { task: id }));
    if (task.view.state === 'queued') task.setState('cancelled', { finishedAt: new Date().toISOString(), error: cancelledError(task.controller.signal.reason) });
    return task.view;
  }

  /** Shutdown: cancels every unfinished task and resolves once each has cleaned up. */
  async cancelAll(): Promise<void> {
    for (const task of this.#tasks.values()) if (!task.finished) this.cancel(task.view.id);
    await Promise.allSettled([...this.#pending]);
  }

  /**
   * The events so far (phases, warnings, states and the latest counters), then live ones until
   * the end event. Returns the function that stops listening.
   */
  subscribe(id: string, listener: (e: TaskEvent) => void): () => void {
    const task = this.#require(id);
    for (const e of task.history) listener(e);
    if (task.lastProgress !== undefined && !task.finished) listener(task.lastProgress);
    if (task.finished) return () => undefined;
    task.listeners.add(listener);
    return () => task.listeners.delete(listener);
  }

  #require(id: string): Task {
    const task = this.#tasks.get(id);
    if (task === undefined) throw new DebstashError('DEBSTASH_E_TASK_NOT_FOUND', `no task with id ${JSON.stringify(id)}`, { task: id });
    return task;
  }

  #prune(): void {
    const finished = [...this.#tasks.values()].filter((t) => t.finished);
    for (const t of finished.slice(0, Math.max(0, finished.length - this.#keep))) this.#tasks.delete(t.view.id);
  }
}

function errorBody(err: unknown): ErrorBody {
  if (isDebstashError(err)) return err.toJSON();
  return new DebstashError('DEBSTASH_E_INTERNAL', `the task failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`).toJSON();
}

function cancelledError(err: unknown): ErrorBody {
  if (isDebstashError(err) && err.code === 'DEBSTASH_E_CANCELLED') return err.toJSON();
  return new DebstashError('DEBSTASH_E_CANCELLED', 'the task was cancelled').toJSON();
}
