import { Command } from 'commander';
import { applyEmbeddedDefault } from '../../config/embedded-default.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { clientConfig } from '../../model/client-config.js';
import { closeContext, openEmbeddedContext } from '../../model/context.js';
import { startServer } from '../../server/start-server.js';
import { cancelOnSignal } from '../cancel-on-signal.js';
import { globalOptions } from '../output.js';
import { progressRenderer } from '../progress-renderer.js';
import { parseListen, untilStopped } from './serve.js';

function parseInterval(text: string): number {
  const m = /^(\d+)(s|m|h)$/.exec(text);
  if (m === null) throw new DebstashError('DEBSTASH_E_USAGE', `--refresh ${JSON.stringify(text)}: expected a number with s, m or h, e.g. 6h`);
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 's' | 'm' | 'h'];
}

export function upCommand(): Command {
  return new Command('up')
    .description('mirror, snapshot, publish and serve (the built-in default when no debstash.yaml), refreshing on schedule')
    .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8080')
    .option('--refresh <interval>', 'how often to update the mirror and switch the publish, e.g. 30m, 6h', '6h')
    .action(async (o: { listen: string; refresh: string }, cmd: Command) => {
      const opts = globalOptions(cmd);
      if (opts.config !== undefined) {
        throw new DebstashError('DEBSTASH_E_NOT_IMPLEMENTED', `debstash.yaml (${opts.config}) is not read yet; run "debstash up" without --config/DEBSTASH_CONFIG for the built-in default`);
      }
      const listen = parseListen(o.listen);
      const every = parseInterval(o.refresh);
      const ctx = await openEmbeddedContext(opts.dataDir);
      try {
        const progress = progressRenderer({ quiet: opts.quiet });
        const cancel = cancelOnSignal();
        let first;
        try {
          first = await applyEmbeddedDefault(ctx, { progress, signal: cancel.signal });
        } finally {
          progress.end();
          cancel.dispose();
        }
        const server = await startServer(ctx, listen);
        const sources = await clientConfig(ctx, first.publish.dist, { url: server.url });
        process.stderr.write(
          `debstash: serving ${server.url}/ — ${first.publish.dist} from mirror ${first.mirror}\n` +
            `A client needs this in /etc/apt/sources.list.d/debstash.sources (also at ${server.url}/client/${first.publish.dist}.sources):\n\n`,
        );
        process.stdout.write(`${sources}\n`);
        let refreshing = false;
        const timer = setInterval(() => {
          // A slow refresh is not started twice; the next tick tries again.
          if (refreshing) return;
          refreshing = true;
          applyEmbeddedDefault(ctx, { progress: progressRenderer({ quiet: true }) })
            .then((r) => r.changed && process.stderr.write(`debstash: published ${r.publish.source.name}\n`))
            .catch((err: unknown) => process.stderr.write(`debstash: refresh failed, still serving the last publish: ${err instanceof Error ? err.message : String(err)}\n`))
            .finally(() => (refreshing = false));
        }, every);
        const sig = await untilStopped();
        clearInterval(timer);
        process.stderr.write(`debstash: ${sig}: finishing requests in flight\n`);
        await server.close();
      } finally {
        await closeContext(ctx);
      }
    });
}
