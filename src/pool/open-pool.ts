import { join } from 'node:path';
import { FsPool } from './fs-pool.js';
import type { Pool } from './pool.js';
import { parseStorageUrl } from './storage-url.js';

export interface OpenPoolOptions {
  /** `storage:` of debstash.yaml; DEBSTASH_STORAGE_URL wins over it. */
  readonly storage?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * The pool a data dir uses: DEBSTASH_STORAGE_URL, else `storage:` of the config, else the
 * local disk at DATA_DIR/pool. An S3 pool is checked at once (reachable, credentials, bucket),
 * so a wrong setting fails the command that opened it with a coded error, not some later read.
 */
export async function openPool(dataDir: string, options: OpenPoolOptions = {}): Promise<Pool> {
  const env = options.env ?? process.env;
  const url = nonEmpty(env['DEBSTASH_STORAGE_URL']) ?? nonEmpty(options.storage);
  if (url === undefined) return FsPool.open(join(dataDir, 'pool'));
  return openStorage(url, env);
}

/** Opens the S3 pool a storage URL names (the target of `db migrate --storage`), checked as openPool checks it. */
export async function openStorage(url: string, env: NodeJS.ProcessEnv = process.env): Promise<Pool> {
  const loc = parseStorageUrl(url, env);
  // The SDK is loaded only for an S3 pool: a local one starts no faster for its being installed.
  const { S3Pool } = await import('./s3-pool.js');
  const id = nonEmpty(env['AWS_ACCESS_KEY_ID']);
  const secret = nonEmpty(env['AWS_SECRET_ACCESS_KEY']);
  const session = nonEmpty(env['AWS_SESSION_TOKEN']);
  // Without both keys the SDK's own chain (profile, SSO, container and instance roles) decides.
  return S3Pool.open(loc, id !== undefined && secret !== undefined ? { accessKeyId: id, secretAccessKey: secret, ...(session !== undefined ? { sessionToken: session } : {}) } : undefined);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}
