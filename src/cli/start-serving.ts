import type { Context } from '../model/context.js';
import type { RunningServer, ServerOptions } from '../server/start-server.js';

export interface ServingProcesses {
  readonly workers: number;
  readonly quiet: boolean;
  readonly verbose: boolean;
  /** The database URL the context was opened with (workers open the same store); undefined: the environment's, or SQLite. */
  readonly database?: string | undefined;
  /** The storage URL of the pool the context was opened with (workers open the same); undefined: the environment's, or DATA_DIR/pool. */
  readonly storage?: string | undefined;
}

/**
 * The server of `serve` and `up`: one process (workers 1, the default), or a primary with
 * `workers` processes serving the tree (loaded only then).
 */
export async function startServing(ctx: Context, options: ServerOptions, o: ServingProcesses): Promise<RunningServer> {
  if (o.workers <= 1) return (await import('../server/start-server.js')).startServer(ctx, options);
  return (await import('../server/serve-cluster.js')).startServeCluster(ctx, { ...options, workers: o.workers, quiet: o.quiet, verbose: o.verbose, database: o.database, storage: o.storage });
}
