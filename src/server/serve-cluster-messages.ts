import type { ConfiguredToken } from '../auth/configured-token.js';
import type { ClientLimits } from './client-limits.js';
import type { FileCacheOptions } from './file-cache.js';
import type { RequestCounters } from './metrics.js';

/**
 * What the primary of `serve --workers` tells a worker, over the cluster's IPC channel (never
 * argv or the environment: the tokens hold secrets, and both are visible to other processes).
 */
export interface WorkerSetup {
  readonly type: 'setup';
  /** 1..N, kept by a worker started in place of one that died; sent as `X-Debstash-Worker`. */
  readonly index: number;
  readonly dataDir: string;
  /** The primary's database URL (a secret: its password), as it opened its store with it. */
  readonly database?: string;
  /** The primary's storage URL (an S3 pool), as it opened its pool with it. */
  readonly storage?: string;
  readonly host: string;
  readonly port: number;
  /** The primary's unix socket, where everything but the tree is forwarded. */
  readonly socketPath: string;
  readonly public: boolean;
  readonly storageRedirect?: boolean;
  readonly tokens: readonly ConfiguredToken[];
  readonly fileCache: FileCacheOptions;
  /** The connection limits apply in each worker, which holds the connections (counted per worker). */
  readonly clientLimits?: ClientLimits;
  readonly quiet: boolean;
  readonly verbose: boolean;
}

export type ToWorker =
  | WorkerSetup
  | { readonly type: 'counters'; readonly id: number }
  /** Stop accepting, let responses in flight finish within graceMs, exit 0. */
  | { readonly type: 'close'; readonly graceMs: number };

export type FromWorker =
  /** Loaded and listening for its setup (a message sent before that would be lost). */
  | { readonly type: 'hello' }
  | { readonly type: 'listening'; readonly port: number }
  /** The worker cannot serve; `errno` when listening failed (EADDRINUSE...). */
  | { readonly type: 'failed'; readonly message: string; readonly errno?: string }
  | { readonly type: 'counters'; readonly id: number; readonly counters: RequestCounters };

export function isMessage<T extends { readonly type: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
