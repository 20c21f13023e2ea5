import cluster, { type Worker } from 'node:cluster';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import type { Context } from '../model/context.js';
import { DEFAULT_FILE_CACHE } from './file-cache.js';
import { Metrics, type RequestCounters } from './metrics.js';
import { type FromWorker, isMessage, type ToWorker, type WorkerSetup } from './serve-cluster-messages.js';
import { listenError, type RunningServer, type ServerOptions, startServer } from './start-server.js';

export interface ClusterOptions extends ServerOptions {
  /** Worker processes serving the tree, 2 or more. */
  readonly workers: number;
  /** The workers log as the primary does. */
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** The database URL the primary's store was opened with, for the workers to open the same. */
  readonly database?: string | undefined;
  /** The storage URL the primary's pool was opened with, for the workers to open the same. */
  readonly storage?: string | undefined;
}

/** How long a worker may take from fork to listening. */
const START_TIMEOUT_MS = 30_000;
/** How long a scrape waits for a worker's counters. */
const COUNTERS_TIMEOUT_MS = 2000;
/** Restarts of a worker that keeps dying wait longer each time, up to this. */
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that served this long before dying is restarted at once. */
const STABLE_MS = 10_000;
/** Past the grace, how long a closing worker has before it is killed. */
const KILL_AFTER_MS = 5000;

/**
 * `serve --workers N`: node:cluster worker processes share the listening address and serve
 * the APT tree, each with its own hot-file cache (the budget split between them) and store
 * connection; this process, the primary, serves everything else (API, tasks, health, metrics,
 * key, client configuration) on a unix socket in a 0700 temporary directory, where the
 * workers forward those requests. A worker that dies is started again under its number.
 * Fails with DEBSTASH_E_SERVE_WORKER_FAILED (or the listen error a worker met) when the
 * workers cannot start.
 */
export async function startServeCluster(ctx: Context, options: ClusterOptions): Promise<RunningServer> {
  const logger = options.logger ?? pino({ level: 'silent' });
  const dir = await mkdtemp(join(tmpdir(), 'debstash-serve-'));
  const socketPath = join(dir, 'primary.sock');
  const fileCache = options.fileCache ?? DEFAULT_FILE_CACHE;
  const setup = (index: number): WorkerSetup => ({
    type: 'setup',
    index,
    dataDir: ctx.dataDir,
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.storage !== undefined ? { storage: options.storage } : {}),
    host: options.host,
    port: options.port,
    socketPath,
    public: options.public ?? true,
    ...(options.storageRedirect === true ? { storageRedirect: true } : {}),
    tokens: options.tokens ?? [],
    // The memory for hot files is the server's, shared out: N workers hold what one process would.
    fileCache: { ...fileCache, budgetBytes: Math.floor(fileCache.budgetBytes / options.workers) },
    quiet: options.quiet,
    verbose: options.verbose,
    ...(options.clientLimits !== undefined ? { clientLimits: options.clientLimits } : {}),
  });
  const workers = new ServeWorkers(setup, logger);
  let primary: RunningServer | undefined;
  try {
    primary = await startServer(ctx, { ...options, socketPath, peerCounters: () => workers.counters() });
    const port = await workers.start(options.workers, options);
    const host = options.host;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const started = primary;
    return {
      url,
      host,
      port,
      close: async (graceMs = options.shutdownGraceMs ?? 8000) => {
        const deadline = Date.now() + graceMs;
        // Workers first: what they still forward needs the primary.
        await workers.close(graceMs);
        await started.close(Math.max(0, deadline - Date.now()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await workers.close(0);
    await primary?.close(0);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

interface Slot {
  worker?: Worker;
  /** The last counters it reported. */
  last?: RequestCounters;
  startedAt: number;
  failures: number;
}

/** The worker processes: started, restarted when they die, asked for counters, closed. */
class ServeWorkers {
  private readonly slots = new Map<number, Slot>();
  /** Counters of workers that died, so the sums never go back. */
  private readonly retired = new Metrics();
  private closing = false;
  private nextQuery = 0;
  private readonly pending = new Map<number, Map<Worker, (c: RequestCounters | undefined) => void>>();

  constructor(
    private readonly setup: (index: number) => WorkerSetup,
    private readonly logger: Logger,
  ) {
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./serve-worker.js', import.meta.url)), args: [] });
  }

  /** Forks `n` workers and resolves with the port they listen on once all do. */
  async start(n: number, listen: Pick<ServerOptions, 'host' | 'port' | 'listenSetting'>): Promise<number> {
    const ports = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        this.fork(i + 1).catch((err: unknown) => {
          if (isDebstashError(err)) throw err;
          const known = listenError(err, listen);
          if (known !== err) throw known;
          throw new DebstashError('DEBSTASH_E_SERVE_WORKER_FAILED', `serve --workers: worker ${i + 1} did not start: ${err instanceof Error ? err.message : String(err)}`, { worker: i + 1 }, { cause: err });
        }),
      ),
    );
    return ports[0] ?? listen.port;
  }

  /** Sum-ready counters: each live worker's (asked now; its last report if it does not answer) and the dead ones'. */
  async counters(): Promise<RequestCounters[]> {
    const id = ++this.nextQuery;
    const waiting = new Map<Worker, (c: RequestCounters | undefined) => void>();
    this.pending.set(id, waiting);
    const asks = [...this.slots.values()].map(async (slot) => {
      const w = slot.worker;
      if (w === undefined || !w.isConnected()) return slot.last;
      const answer = await new Promise<RequestCounters | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), COUNTERS_TIMEOUT_MS);
        waiting.set(w, (c) => {
          clearTimeout(timer);
          resolve(c);
        });
        send(w, { type: 'counters', id });
      });
      if (answer !== undefined) slot.last = answer;
      return slot.last;
    });
    const live = await Promise.all(asks);
    this.pending.delete(id);
    return [...live.filter((c): c is RequestCounters => c !== undefined), this.retired.counters()];
  }

  /** Asks every worker to stop within graceMs; kills those still there later. */
  async close(graceMs: number): Promise<void> {
    this.closing = true;
    const exits = [...this.slots.values()].map(async ({ worker }) => {
      if (worker === undefined || worker.isDead()) return;
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      if (graceMs <= 0) worker.process.kill('SIGKILL');
      else send(worker, { type: 'close', graceMs });
      const timer = setTimeout(() => worker.process.kill('SIGKILL'), graceMs + KILL_AFTER_MS);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
  }

  /** Starts worker `index`; resolves with its port once it listens, rejects if it fails or dies first. */
  private fork(index: number): Promise<number> {
    const slot = this.slots.get(index) ?? { startedAt: 0, failures: 0 };
    this.slots.set(index, slot);
    const worker = cluster.fork();
    slot.worker = worker;
    slot.startedAt = Date.now();
    worker.on('message', (m: unknown) => {
      if (!isMessage<FromWorker>(m)) return;
      if (m.type === 'hello') send(worker, this.setup(index));
      else if (m.type === 'counters') this.pending.get(m.id)?.get(worker)?.(m.counters);
    });
    const listening = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.process.kill('SIGKILL');
        reject(new Error(`not listening after ${START_TIMEOUT_MS / 1000} s`));
      }, START_TIMEOUT_MS);
      const settle = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onEarlyExit);
      };
      const onMessage = (m: unknown): void => {
        if (!isMessage<FromWorker>(m)) return;
        if (m.type === 'listening') {
          settle();
          this.logger.info({ worker: index, workerPid: worker.process.pid }, `serve worker ${index} listening`);
          resolve(m.port);
        } else if (m.type === 'failed') {
          settle();
          reject(Object.assign(new Error(m.message), m.errno !== undefined ? { code: m.errno } : {}));
        }
      };
      const onEarlyExit = (code: number | null, signal: string | null): void => {
        settle();
        reject(new Error(`it exited (${signal ?? `code ${code ?? '?'}`}) before listening`));
      };
      worker.on('message', onMessage);
      worker.once('exit', onEarlyExit);
    });
    worker.once('exit', (code, signal) => this.exited(index, slot, worker, code, signal));
    return listening;
  }

  /** A worker ended: unless we are closing, it is started again (later each time it keeps dying young). */
  private exited(index: number, slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    if (slot.last !== undefined) this.retired.addCounters(slot.last);
    slot.last = undefined;
    slot.worker = undefined;
    if (this.closing) return;
    slot.failures = Date.now() - slot.startedAt >= STABLE_MS ? 0 : slot.failures + 1;
    const delayMs = slot.failures === 0 ? 0 : Math.min(100 * 2 ** (slot.failures - 1), MAX_RESTART_DELAY_MS);
    this.logger.warn({ worker: index, workerPid: worker.process.pid, code, signal, restartInMs: delayMs }, `serve worker ${index} exited, starting it again`);
    setTimeout(() => {
      if (this.closing) return;
      this.fork(index).then(
        () => undefined,
        (err: unknown) => this.logger.error({ worker: index, err }, `serve worker ${index} did not start again`),
      );
    }, delayMs).unref();
  }
}

function send(worker: Worker, m: ToWorker): void {
  if (worker.isConnected()) worker.send(m);
}
