import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import { serverLogger } from '../../server/server-logger.js';
import { startServing } from '../start-serving.js';
import { parseListen } from '../../config/listen-address.js';
import { globalOptions } from '../output.js';
import { openEmbeddedContext, closeContext, type Context } from '../../model/context.js';
import { configuredBackends, configuredPublicUrl, configuredServer } from '../../config/find-config.js';
import { localServerAccess } from '../server-file.js';
import { parseWorkersOption } from '../workers-option.js';
import { openContextWaiting } from '../open-context-waiting.js';
import { clientLimitsFromEnv } from '../../server/client-limits.js';

/** Resolves when SIGINT or SIGTERM arrives. */
/** Redirects to the storage need one: S3 storage, whose bucket holds the trees. */
export function requireBucket(ctx: Context, setting: string): void {
  if (ctx.pool.publicObjects === undefined) {
    throw new DebstashError('DEBSTASH_E_USAGE', `${setting} needs S3 storage (DEBSTASH_STORAGE_URL or storage: s3://...); the trees are on the local disk`, { setting });
  }
}

export function untilStopped(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(sig);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve the published trees, the key, client configuration and health endpoints')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--grace <seconds>', 'on SIGTERM, how long downloads in flight may take to finish', '8')
    .option('--workers <n|auto>', 'processes serving the APT tree (auto: one per core); 1 serves everything from this process', '1')
    .option('--redirect-to-storage', 'with S3 storage: answer pool and by-hash paths with a redirect to a presigned URL of the bucket instead of streaming them')
    .action(async (o: { listen: string; grace: string; workers: string; redirectToStorage?: boolean }, cmd: Command) => {
      const opts = globalOptions(cmd);
      const listen = parseListen(o.listen);
      const graceS = Number(o.grace);
      if (!(graceS >= 0)) throw new DebstashError('DEBSTASH_E_USAGE', `--grace ${JSON.stringify(o.grace)}: expected a number of seconds, e.g. 8`);
      const workers = parseWorkersOption(o.workers);
      const { database, storage } = await configuredBackends(opts.config);
      const publicUrl = configuredPublicUrl(await configuredServer(opts.config));
      const { logger, flush } = serverLogger(opts);
      const local = localServerAccess(opts.dataDir);
      let ctx: Context | undefined;
      let unannounce = async (): Promise<void> => undefined;
      try {
        // The database (or the bucket) down at start: wait as `up` does, answering /readyz 503.
        const opened = await openContextWaiting(() => openEmbeddedContext(opts.dataDir, database, storage !== undefined ? { storage } : {}), { ...listen, setting: '--listen' }, (line) => logger.warn(line));
        if (opened === undefined) return;
        ctx = opened.ctx;
        if (o.redirectToStorage === true) requireBucket(ctx, '--redirect-to-storage');
        const server = await startServing(ctx, { ...listen, port: opened.port, logger, shutdownGraceMs: graceS * 1000, tokens: [local.token], clientLimits: clientLimitsFromEnv(), ...(o.redirectToStorage === true ? { storageRedirect: true } : {}), ...(publicUrl !== undefined ? { publicUrl } : {}) }, { workers, quiet: opts.quiet, verbose: opts.verbose, database, storage });
        unannounce = await local.announce(server);
        logger.info({ url: server.url }, `serving ${server.url}/ (key ${server.url}/key.asc, health ${server.url}/readyz)`);
        const sig = await untilStopped();
        // A second signal means now: the grace period is for downloads, not for a stuck client.
        void untilStopped().then((s) => {
          logger.warn({ signal: s }, 'stopping now: requests in flight are cut');
          void server.close(0);
        });
        // Gone before the listener: a CLI started now runs locally instead of meeting a closing server.
        await unannounce();
        const closing = server.close();
        // Said once the listener is closed: whoever reads this line finds the port refusing.
        logger.info({ signal: sig }, 'stopping: no new connections, finishing requests in flight');
        await closing;
        logger.info('stopped');
      } finally {
        await unannounce();
        await flush();
        if (ctx !== undefined) await closeContext(ctx);
      }
    });
}
