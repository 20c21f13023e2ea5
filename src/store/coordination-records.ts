/**
 * What several debstash processes sharing one store coordinate through: locks on resources
 * and the rows of long tasks. Kept in the store (not in a process) so that every process sees
 * them: a CLI beside `up`, several replicas.
 */

/** One debstash process (one lock/task owner in it); the store keeps who holds what. */
export interface StoreOwner {
  readonly host: string;
  readonly pid: number;
  /**
   * Random per owner: a process that got a dead one's pid (containers restart as pid 1) is
   * not taken for it.
   */
  readonly id: string;
}

/** A held lock: `resource` is e.g. "mirror:bookworm" or "publish:/bookworm". */
export interface LockRecord {
  readonly resource: string;
  readonly owner: StoreOwner;
  readonly acquiredAt: string;
  /** The holder renews it while it works; past it, anyone may take the lock over. */
  readonly expiresAt: string;
}

export type LockAttempt = { readonly acquired: true } | { readonly acquired: false; readonly holder: LockRecord };

export type TaskState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** The latest phase and counters a task reported. */
export interface TaskProgress {
  readonly phase: string;
  readonly message?: string;
  readonly done?: number;
  readonly total?: number;
  readonly bytesDone?: number;
  readonly bytesTotal?: number;
}

/** A coded error as the API shows it (`DebstashError.toJSON`). */
export interface TaskError {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A long operation (`POST /api/mirrors/NAME/update`, publishes): one row, visible to every process. */
export interface TaskRecord {
  readonly id: string;
  readonly kind: string;
  /** What it works on, e.g. ["publish:/stable", "snapshot:s1"]. */
  readonly resources: readonly string[];
  readonly state: TaskState;
  readonly createdAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly progress?: TaskProgress;
  readonly warnings: readonly string[];
  readonly result?: unknown;
  readonly error?: TaskError;
  /** The process that runs it. */
  readonly owner: StoreOwner;
  /** Renewed by the owner while the task is unfinished; a stale one means the owner died. */
  readonly heartbeatAt: string;
  /** Someone asked to cancel it (`DELETE /api/tasks/ID` on any process); the owner polls this. */
  readonly cancelRequested: boolean;
}

export const FINAL_TASK_STATES: ReadonlySet<TaskState> = new Set(['succeeded', 'failed', 'cancelled']);
