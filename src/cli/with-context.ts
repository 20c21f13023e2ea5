import type { Command } from 'commander';
import type { Context } from '../model/context.js';
import { type GlobalOptions, globalOptions } from './output.js';

/** Opens the data dir for one command and always closes it, also when the command fails. */
export async function withContext<T>(cmd: Command, fn: (ctx: Context, opts: GlobalOptions) => Promise<T>): Promise<T> {
  const opts = globalOptions(cmd);
  // Loaded here, not at the top: a command sent to a server never opens the store (see via-server.ts).
  const { closeContext, openEmbeddedContext } = await import('../model/context.js');
  const { configuredStorage } = await import('../config/find-config.js');
  const storage = await configuredStorage(opts.config);
  const ctx = await openEmbeddedContext(opts.dataDir, undefined, storage !== undefined ? { storage } : {});
  try {
    return await fn(ctx, opts);
  } finally {
    await closeContext(ctx);
  }
}
