import type { Command } from 'commander';
import type { Context } from '../model/context.js';
import { type GlobalOptions, globalOptions } from './output.js';

/**
 * Opens the data dir for one command and always closes it, also when the command fails.
 * `debstashConfig: false` is for a command whose --config names another program's file
 * (`import aptly`): the backends then come from the environment only.
 */
export async function withContext<T>(cmd: Command, fn: (ctx: Context, opts: GlobalOptions) => Promise<T>, options: { readonly debstashConfig?: boolean } = {}): Promise<T> {
  const opts = globalOptions(cmd);
  // Loaded here, not at the top: a command sent to a server never opens the store (see via-server.ts).
  const { closeContext, openEmbeddedContext } = await import('../model/context.js');
  const { configuredBackends } = await import('../config/find-config.js');
  const { database, storage } = options.debstashConfig === false ? {} : await configuredBackends(opts.config);
  const ctx = await openEmbeddedContext(opts.dataDir, database, storage !== undefined ? { storage } : {});
  try {
    return await fn(ctx, opts);
  } finally {
    await closeContext(ctx);
  }
}
