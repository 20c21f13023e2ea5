import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import { startServer } from '../../server/start-server.js';
import { globalOptions } from '../output.js';
import { openEmbeddedContext, closeContext } from '../../model/context.js';

/** `HOST:PORT` (IPv6 in brackets) → its parts. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) throw new DebstashError('DEBSTASH_E_USAGE', `--listen ${JSON.stringify(listen)}: expected HOST:PORT, e.g. 127.0.0.1:8080`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

/** Resolves when SIGINT or SIGTERM arrives. */
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
    .action(async (o: { listen: string }, cmd: Command) => {
      const opts = globalOptions(cmd);
      const listen = parseListen(o.listen);
      const ctx = await openEmbeddedContext(opts.dataDir);
      try {
        const server = await startServer(ctx, listen);
        process.stderr.write(`debstash: serving ${server.url}/ (key ${server.url}/key.asc, health ${server.url}/readyz)\n`);
        const sig = await untilStopped();
        process.stderr.write(`debstash: ${sig}: finishing requests in flight\n`);
        await server.close();
      } finally {
        await closeContext(ctx);
      }
    });
}
