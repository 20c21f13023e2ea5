import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import { FINAL_TASK_STATES, type StoreOwner, type TaskError, type TaskRecord, type TaskState } from '../store/coordination-records.js';
import type { Store } from '../store/store.js';
import type { ProgressEvent, ProgressSink } from './progress.js';
import { describeOwner, ownerDead } from './store-locks.js';

export type { TaskState } from '../store/coordination-records.js';

/** What a client sees of a task: `GET /api/tasks/ID`, and the last event of its stream. The row in the store. */
export type TaskView = TaskRecord;

/** One entry of a task's event stream: a progress event, a state change, or the end. */
export type TaskEvent = ProgressEvent | { readonly type: 'state'; readonly state: TaskState } | { readonly type: 'end'; readonly task: TaskView };

export interface TaskIo {
  readonly signal: AbortSignal;
  readonly progress: ProgressSink;
}

/** Events kept for late subscribers (a run of counters as its latest). */
const HISTORY_LIMIT = 500;
/** How often the owner renews its running tasks' rows (with their latest progress) and reads their cancel flags. */
export const TASK_HEARTBEAT_MS = 2_000;
/** A task whose heartbeat is older than this has lost its owner (another host's; same-host owners are asked directly). */
export const TASK_STALE_MS = 30_000;
/** How long a finished task's full event history stays with the process that ran it. */
const FINISHED_HISTORY_MS = 60_000;
/** How often a stream of another process's task reads its row. */
const FOREIGN_POLL_MS = 500;

const isFinal = (view: TaskView): boolean => FINAL_TASK_STATES.has(view.state);

/** A task this process runs: its row as last written, plus what only the runner has. */
class LiveTask {
  view: TaskView;
  readonly controller = new AbortController();
  readonly history: TaskEvent[] = [];
  readonly listeners = new Set<(e: TaskEvent) => void>();
  /** Writes of the row, one after the other. */
  saving: Promise<unknown> = Promise.resolve();

  constructor(view: TaskView) {
    this.view = view;
  }

  emit(e: TaskEvent): void {
    // Counters between two other events collapse into the latest, so a late subscriber sees
    // the same sequence of kinds as a live one, in bounded memory.
    if (e.type === 'progress' && this.history.at(-1)?.type === 'progress') this.history[this.history.length - 1] = e;
    else if (this.history.length < HISTORY_LIMIT) this.history.push(e);
    for (const l of this.listeners) l(e);
  }

  report(e: ProgressEvent): void {
    if (isFinal(this.view)) return;
    const v = this.view;
    if (e.type === 'phase') this.view = { ...v, progress: { phase: e.phase, message: e.message } };
    else if (e.type === 'progress') this.view = { ...v, progress: { ...v.progress, phase: e.phase, done: e.done, total: e.total, bytesDone: e.bytesDone, bytesTotal: e.bytesTotal } };
    else this.view = { ...v, warnings: [...v.warnings, e.message] };
    this.emit(e);
  }
}

/**
 * Long operations run as tasks: started at once, observable while they run, cancellable. Each
 * is a row of the store (issue 13), so every process on the store lists it, a restart keeps
 * it, and a task whose process died is marked failed (DEBSTASH_E_TASK_ABANDONED) by the next
 * process that looks. The process that runs a task streams its events live; another process
 * streams them by reading the row (state, latest progress, warnings). Finished tasks beyond
 * `keep` are forgotten oldest first.
 */
export class TaskRegistry {
  readonly #store: Store;
  readonly #owner: StoreOwner;
  readonly #live = new Map<string, LiveTask>();
  /** Runs not yet cleaned up, so shutdown can wait for them. */
  readonly #pending = new Set<Promise<void>>();
  readonly #keep: number;
  readonly #onFinish: (kind: string, seconds: number, ok: boolean) => void;
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(options: { store: Store; owner: StoreOwner; keep?: number; onFinish?: (kind: string, seconds: number, ok: boolean) => void }) {
    this.#store = options.store;
    this.#owner = options.owner;
    this.#keep = options.keep ?? 100;
    this.#onFinish = options.onFinish ?? (() => undefined);
  }

  /** Records the task (queued), then runs it; the returned view is the row as recorded. */
  async start({ kind, resources, run }: { readonly kind: string; readonly resources: readonly string[]; readonly run: (io: TaskIo) => Promise<unknown> }): Promise<TaskView> {
    const now = new Date().toISOString();
    const task = new LiveTask({ id: randomUUID(), kind, resources, state: 'queued', createdAt: now, warnings: [], owner: this.#owner, heartbeatAt: now, cancelRequested: false });
    await this.#store.transaction(async (tx) => {
      await tx.insertTask(task.view);
      await tx.pruneTasks(this.#keep);
    });
    this.#live.set(task.view.id, task);
    this.#beat();
    const pending = this.#run(task, run);
    this.#pending.add(pending);
    void pending.finally(() => {
      this.#pending.delete(pending);
      // A follower that asks right after a quick task ended (the CLI starts a task, then opens
      // its events) still gets every phase, not only what the row keeps.
      setTimeout(() => {
        this.#live.delete(task.view.id);
        if (this.#live.size === 0) this.#stopBeat();
      }, FINISHED_HISTORY_MS).unref();
    });
    return task.view;
  }

  async #run(task: LiveTask, run: (io: TaskIo) => Promise<unknown>): Promise<void> {
    const started = Date.now();
    this.#setState(task, 'running', { startedAt: new Date(started).toISOString() });
    const signal = task.controller.signal;
    try {
      const result = await run({ signal, progress: (e) => task.report(e) });
      if (signal.aborted) throw signal.reason;
      this.#setState(task, 'succeeded', { finishedAt: new Date().toISOString(), result });
    } catch (err) {
      const error = signal.aborted ? cancelledError(err) : errorBody(err);
      this.#setState(task, signal.aborted ? 'cancelled' : 'failed', { finishedAt: new Date().toISOString(), error });
    }
    await task.saving;
    this.#onFinish(task.view.kind, (Date.now() - started) / 1000, task.view.state === 'succeeded');
  }

  #setState(task: LiveTask, state: TaskState, extra: Partial<TaskView>): void {
    task.view = { ...task.view, ...extra, state, heartbeatAt: new Date().toISOString() };
    this.#save(task);
    task.emit({ type: 'state', state });
    if (isFinal(task.view)) {
      task.emit({ type: 'end', task: task.view });
      task.listeners.clear();
    }
  }

  /** Writes the task's row after its earlier writes; a store failure leaves the heartbeat to retry. */
  #save(task: LiveTask): void {
    const view = task.view;
    task.saving = task.saving.then(() => this.#store.transaction((tx) => tx.updateTask(view))).catch(() => false);
  }

  async get(id: string): Promise<TaskView> {
    const live = this.#live.get(id);
    if (live !== undefined && !isFinal(live.view)) return live.view;
    const row = await this.#store.getTask(id);
    if (row === undefined) throw notFound(id);
    // Finished here (kept for its history): the row may still be being written.
    if (live !== undefined) return live.view;
    return isFinal(row) ? row : ((await this.#reap([row]))[0] ?? row);
  }

  /** The newest tasks of every process on the store, newest first (dead owners' marked failed first). */
  async list(): Promise<TaskView[]> {
    await this.reapAbandoned();
    return (await this.#store.listTasks(this.#keep)).map((row) => this.#live.get(row.id)?.view ?? row);
  }

  /**
   * Stops a task: a running one of this process sees its signal abort and cleans up; one of
   * another process gets its cancel flag set, which its owner reads within a heartbeat. A
   * finished task is left as it is.
   */
  async cancel(id: string): Promise<TaskView> {
    const live = this.#live.get(id);
    if (live !== undefined) {
      if (!isFinal(live.view)) live.controller.abort(new DebstashError('DEBSTASH_E_CANCELLED', `task ${id} was cancelled`, { task: id }));
      return live.view;
    }
    const row = await this.get(id);
    if (isFinal(row)) return row;
    await this.#store.transaction((tx) => tx.requestTaskCancel(id));
    return (await this.#store.getTask(id)) ?? row;
  }

  /** Shutdown: cancels every unfinished task of this process and resolves once each has cleaned up. */
  async cancelAll(): Promise<void> {
    for (const task of this.#live.values()) if (!isFinal(task.view)) task.controller.abort(new DebstashError('DEBSTASH_E_CANCELLED', 'the server is stopping', { task: task.view.id }));
    await Promise.allSettled([...this.#pending]);
    this.#stopBeat();
  }

  /**
   * Marks failed (DEBSTASH_E_TASK_ABANDONED) every unfinished task whose owner is gone: its
   * process no longer runs on this host, or its heartbeat is older than TASK_STALE_MS. `up`
   * and `serve` call it when they start; every listing calls it. Returns how many.
   */
  async reapAbandoned(): Promise<number> {
    return (await this.#reap(await this.#store.unfinishedTasks())).filter(isFinal).length;
  }

  /** The given unfinished rows, those of dead owners marked failed (in one transaction, so two reapers agree). */
  async #reap(rows: readonly TaskView[]): Promise<TaskView[]> {
    const stale = new Date(Date.now() - TASK_STALE_MS).toISOString();
    const abandoned = (t: TaskView): boolean => !this.#live.has(t.id) && !isFinal(t) && (ownerDead(t.owner) || t.heartbeatAt < stale);
    if (!rows.some(abandoned)) return [...rows];
    return this.#store.transaction(async (tx) => {
      const out: TaskView[] = [];
      for (const seen of rows) {
        const t = (await tx.getTask(seen.id)) ?? seen;
        if (!abandoned(t)) {
          out.push(t);
          continue;
        }
        const now = new Date().toISOString();
        const error = new DebstashError('DEBSTASH_E_TASK_ABANDONED', `task ${t.id} (${t.kind}) was left unfinished by ${describeOwner(t.owner)}, which stopped`, {
          task: t.id,
          pid: t.owner.pid,
          host: t.owner.host,
        }).toJSON();
        const failed: TaskView = { ...t, state: 'failed', finishedAt: now, heartbeatAt: now, error };
        await tx.updateTask(failed);
        out.push(failed);
      }
      return out;
    });
  }

  /**
   * The events so far (phases, warnings, states and the latest counters), then live ones until
   * the end event. For a task of another process: its state, latest progress and warnings as
   * its row shows them, read every FOREIGN_POLL_MS. Resolves with the function that stops.
   */
  async subscribe(id: string, listener: (e: TaskEvent) => void): Promise<() => void> {
    const task = this.#live.get(id);
    if (task === undefined) return this.#follow(await this.get(id), listener);
    for (const e of task.history) listener(e);
    if (isFinal(task.view)) return () => undefined;
    task.listeners.add(listener);
    return () => task.listeners.delete(listener);
  }

  #follow(first: TaskView, listener: (e: TaskEvent) => void): () => void {
    let stopped = false;
    const follow = async (): Promise<void> => {
      let seen: TaskView | undefined;
      for (let row: TaskView | undefined = first; row !== undefined && !stopped; ) {
        for (const e of changes(seen, row)) listener(e);
        if (isFinal(row)) return;
        seen = row;
        await sleep(FOREIGN_POLL_MS);
        row = stopped ? undefined : await this.get(row.id).catch(() => undefined);
      }
    };
    void follow();
    return () => {
      stopped = true;
    };
  }

  #beat(): void {
    if (this.#heartbeat !== undefined) return;
    this.#heartbeat = setInterval(() => void this.#renew(), TASK_HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  #stopBeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  /** Renews the rows of this process's unfinished tasks (with their latest progress) and aborts those someone asked to cancel. */
  async #renew(): Promise<void> {
    const running = [...this.#live.values()].filter((t) => !isFinal(t.view));
    if (running.length === 0) return;
    const cancel = await this.#store
      .transaction(async (tx) => {
        const asked: LiveTask[] = [];
        for (const task of running) {
          task.view = { ...task.view, heartbeatAt: new Date().toISOString() };
          await tx.updateTask(task.view);
          if ((await tx.getTask(task.view.id))?.cancelRequested === true) asked.push(task);
        }
        return asked;
      })
      .catch(() => []);
    for (const task of cancel) task.controller.abort(new DebstashError('DEBSTASH_E_CANCELLED', `task ${task.view.id} was cancelled`, { task: task.view.id }));
  }
}

/** The events that take a follower from the row it saw to the next one. */
function changes(before: TaskView | undefined, after: TaskView): TaskEvent[] {
  const out: TaskEvent[] = [];
  if (before?.state !== after.state && !isFinal(after)) out.push({ type: 'state', state: after.state });
  const p = after.progress;
  if (p !== undefined && JSON.stringify(p) !== JSON.stringify(before?.progress)) {
    if (p.message !== undefined && p.message !== before?.progress?.message) out.push({ type: 'phase', phase: p.phase, message: p.message });
    if (p.done !== undefined && p.total !== undefined) out.push({ type: 'progress', phase: p.phase, done: p.done, total: p.total, bytesDone: p.bytesDone ?? 0, bytesTotal: p.bytesTotal ?? 0 });
  }
  for (const message of after.warnings.slice(before?.warnings.length ?? 0)) out.push({ type: 'warning', message });
  if (isFinal(after)) out.push({ type: 'state', state: after.state }, { type: 'end', task: after });
  return out;
}

const notFound = (id: string): DebstashError => new DebstashError('DEBSTASH_E_TASK_NOT_FOUND', `no task with id ${JSON.stringify(id)}`, { task: id });

function errorBody(err: unknown): TaskError {
  if (isDebstashError(err)) return err.toJSON();
  return new DebstashError('DEBSTASH_E_INTERNAL', `the task failed unexpectedly: ${err instanceof Error ? err.message : String(err)}`).toJSON();
}

function cancelledError(err: unknown): TaskError {
  if (isDebstashError(err) && err.code === 'DEBSTASH_E_CANCELLED') return err.toJSON();
  return new DebstashError('DEBSTASH_E_CANCELLED', 'the task was cancelled').toJSON();
}
