import { Command } from 'commander';
import type { Logger } from 'pino';
import type { ConfiguredToken } from '../../auth/configured-token.js';
import { findConfig, type FoundConfig } from '../../config/find-config.js';
import { formatPlan } from '../../config/format-plan.js';
import { intervalMs, parseRefreshOption } from '../../config/parse-interval.js';
import { Refresher } from '../../config/refresher.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { clientBaseUrl } from '../../model/client-config.js';
import { normalizePublicUrl } from '../../publish/snapshots-template.js';
import { configuredClientSources } from '../../config/client-sources.js';
import { type Context, closeContext, openEmbeddedContext } from '../../model/context.js';
import { Metrics } from '../../server/metrics.js';
import { serverLogger } from '../../server/server-logger.js';
import type { RunningServer } from '../../server/start-server.js';
import { type ServingProcesses, startServing } from '../start-serving.js';
import { parseWorkersOption } from '../workers-option.js';
import { cancelOnSignal } from '../cancel-on-signal.js';
import { globalOptions } from '../output.js';
import { progressRenderer } from '../progress-renderer.js';
import { parseListen } from '../../config/listen-address.js';
import { requireBucket, untilStopped } from './serve.js';
import { openContextWaiting } from '../open-context-waiting.js';
import { localServerAccess } from '../server-file.js';
import { clientLimitsFromEnv } from '../../server/client-limits.js';

const say = (line: string): boolean => process.stderr.write(`debstash: ${line}\n`);
const reason = (err: unknown): string => (err instanceof DebstashError ? err.describe() : err instanceof Error ? err.message : String(err));

/** Listens where the config (or --listen) says; a failure names that setting. */
async function listen(ctx: Context, found: FoundConfig, option: string | undefined, refresher: Refresher, metrics: Metrics, logger: Logger, local: ConfiguredToken, workers: ServingProcesses): Promise<RunningServer> {
  const address = option ?? found.config.server.listen;
  const listenSetting = option !== undefined ? '--listen' : `server.listen (${found.file ?? 'built-in default'})`;
  const { host, port } = parseListen(address);
  if (found.config.server.storage_redirect) requireBucket(ctx, `server.storage_redirect (${found.file ?? 'built-in default'})`);
  return startServing(ctx, { host, port, listenSetting, ready: () => refresher.ready(), metrics, logger, public: found.config.server.public, tokens: [...found.config.server.tokens, local], clientLimits: clientLimitsFromEnv(), ...(found.config.server.storage_redirect ? { storageRedirect: true } : {}), ...(found.config.server.public_url ? { publicUrl: normalizePublicUrl(found.config.server.public_url, 'server.public_url') } : {}) }, workers);
}

/**
 * `debstash up`. The server listens before the first apply, so an orchestrator polling
 * /readyz sees 503 "nothing published yet" rather than a refused connection; on a data dir
 * that already has its publishes it is ready at once and serves them while the apply runs.
 */
export function upCommand(): Command {
  return new Command('up')
    .description('apply debstash.yaml (or the built-in default), serve, and apply again on schedule')
    .option('--listen <host:port>', 'address to serve on (default: server.listen of the config, 127.0.0.1:8080)')
    .option('--refresh <interval>', 'how often to apply again, e.g. 30m, 6h, off (default: schedule.refresh of the config, 6h)')
    .option('--workers <n|auto>', 'processes serving the APT tree (auto: one per core); 1 serves everything from this process', '1')
    .action(async (o: { listen?: string; refresh?: string; workers: string }, cmd: Command) => {
      const opts = globalOptions(cmd);
      const found = await findConfig(opts.config);
      say(`config: ${found.origin}`);
      const every = o.refresh !== undefined ? parseRefreshOption(o.refresh) : (intervalMs(String(found.config.schedule.refresh)) ?? 0);
      const workers = parseWorkersOption(o.workers);
      const address = parseListen(o.listen ?? found.config.server.listen);
      const opened = await openContextWaiting(() => openEmbeddedContext(opts.dataDir, found.config.database, found.config.storage !== undefined ? { storage: found.config.storage } : {}), { ...address, setting: o.listen !== undefined ? '--listen' : 'server.listen' }, say);
      if (opened === undefined) return;
      const ctx = opened.ctx;
      // A stand-in answered while the store was down: the real server takes its port (which may have been asked as 0).
      const listenOption = opened.port !== address.port ? `${address.host.includes(':') ? `[${address.host}]` : address.host}:${opened.port}` : o.listen;
      const metrics = new Metrics();
      const refresher = new Refresher(ctx, found.config, metrics);
      const { logger, flush } = serverLogger(opts);
      let server: RunningServer | undefined;
      const local = localServerAccess(opts.dataDir);
      let unannounce = async (): Promise<void> => undefined;
      try {
        server = await listen(ctx, found, listenOption, refresher, metrics, logger, local.token, { workers, quiet: opts.quiet, verbose: opts.verbose, database: found.config.database, storage: found.config.storage });
        unannounce = await local.announce(server);
        say(`serving ${server.url}/ (health ${server.url}/readyz, not ready until the first publish)`);
        const progress = progressRenderer({ quiet: opts.quiet });
        const cancel = cancelOnSignal();
        try {
          const first = await refresher.applyFirst({ progress, signal: cancel.signal });
          progress.end();
          say(first.steps.length === 0 ? 'nothing to do: the store matches the config' : `applied:\n${formatPlan(first.steps)}`);
        } catch (err) {
          // Served publishes from an earlier run stay good; with none there is nothing to serve.
          if (cancel.signal.aborted || !(await refresher.ready()).ok) throw err;
          say(`first apply failed, serving the last good publish: ${reason(err)}`);
        } finally {
          progress.end();
          cancel.dispose();
        }
        // The public URL, when set, is what the Releases name (Snapshots:): clients are given the same.
        const client = found.config.server.public_url ? { url: normalizePublicUrl(found.config.server.public_url, 'server.public_url'), note: undefined } : clientBaseUrl(server.host, server.port);
        const sources = await configuredClientSources(ctx, found.config, client.url);
        if (sources.text !== '') {
          if (client.note !== undefined) say(client.note);
          say(`a client needs this in /etc/apt/sources.list.d/debstash.sources (also at ${sources.urls.join(', ')}):\n`);
          process.stdout.write(`${sources.text}\n`);
        }
        say(`ready${every > 0 ? `; applying again every ${o.refresh ?? found.config.schedule.refresh}` : ''}`);

        const stopRefresh = new AbortController();
        let timer: NodeJS.Timeout | undefined;
        let inFlight: Promise<unknown> = Promise.resolve();
        const schedule = (): void => {
          if (every <= 0 || stopRefresh.signal.aborted) return;
          timer = setTimeout(() => {
            inFlight = refresher
              .applyScheduled({ progress: progressRenderer({ quiet: true }), signal: stopRefresh.signal })
              .then((r) => ('skipped' in r ? say(`scheduled refresh skipped, another process has the lease: ${r.skipped}`) : r.steps.length > 0 && say(`refreshed:\n${formatPlan(r.steps)}`)))
              .catch((err: unknown) => !stopRefresh.signal.aborted && say(`refresh failed, still serving the last good publish: ${reason(err)}`))
              .finally(schedule);
          }, every);
        };
        schedule();
        const sig = await untilStopped();
        say(`${sig}: finishing requests in flight`);
        stopRefresh.abort(new Error(`stopped by ${sig}`));
        clearTimeout(timer);
        await inFlight;
      } finally {
        await unannounce();
        await server?.close();
        await flush();
        await closeContext(ctx);
      }
    });
}
