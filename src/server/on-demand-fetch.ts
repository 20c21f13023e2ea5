import type { IncomingMessage, ServerResponse } from 'node:http';
import { DebstashError } from '../errors/debstash-error.js';
import type { Pool } from '../pool/pool.js';
import type { PoolViewFile, StoreReader } from '../store/store.js';
import { UpstreamClient } from '../upstream/http-client.js';
import { SpooledFetch } from '../upstream/spooled-fetch.js';
import type { Exchange } from './exchange.js';
import { representPoolFile } from './file-representation.js';
import { answerFile } from './serve-file.js';
import type { DamageReporting } from './tree-damaged.js';

/**
 * Upstream requests in flight at once for on-demand files (over all files). Retries are few:
 * a client is waiting for the answer, and a 502 it can retry beats a minute of silence.
 */
const CLIENT_OPTIONS = { concurrency: 16, retries: 1, retryBaseDelayMs: 200 } as const;

/**
 * Answers pool paths whose file is not in the pool because an on-demand (or cache-on-serve)
 * mirror lists it: fetched from that mirror's upstream while the client receives it, verified
 * against the size and SHA-256 of the signed index (SpooledFetch: the last byte waits for the
 * verdict; a mismatch cuts the connection), then stored in the pool, where later requests find
 * it. Requests for one file while it is fetched share the fetch (one upstream request however
 * many clients ask). Per process: workers of `serve --workers` may each fetch a file once;
 * the pool's put is atomic, so the copies are one file. An upstream that does not deliver is
 * a 502 coded DEBSTASH_E_UPSTREAM_ON_DEMAND, unless bytes were sent already (then the
 * connection is cut).
 */
export class OnDemandFetcher {
  readonly #flights = new Map<string, SpooledFetch>();
  #client: UpstreamClient | undefined;

  constructor(
    private readonly store: StoreReader,
    private readonly pool: Pool,
    private readonly spoolDir: string,
    private readonly reporting: DamageReporting,
  ) {}

  /** Answers for `file`, absent from the pool; false (nothing sent) when no on-demand mirror lists it. */
  async serve(req: IncomingMessage, res: ServerResponse, file: PoolViewFile, relative: string, ex: Exchange): Promise<boolean> {
    const flight = this.#flights.get(file.sha256) ?? (await this.#start(file));
    if (flight === undefined) return false;
    try {
      await flight.started;
    } catch (err) {
      this.#upstreamFailed(res, ex, relative, err);
      return true;
    }
    // Joined a fetch that failed since it started: nothing sent yet, so a 502 rather than a cut.
    if (flight.failed) {
      this.#upstreamFailed(res, ex, relative, await flight.done.catch((err: unknown) => err));
      return true;
    }
    // Stored just now: no Last-Modified yet (see lastModifiedSecond); the SHA-256 is the ETag.
    const now = Date.now();
    const identity = { dev: 0, ino: 0, size: file.size, mtimeMs: now, ctimeMs: now };
    await answerFile(req, res, representPoolFile(relative, file.sha256, identity, now), ex, (start, end) => flight.reader(start, end));
    return true;
  }

  async #start(file: PoolViewFile): Promise<SpooledFetch | undefined> {
    const source = await this.store.onDemandSource(file.sha256);
    if (source === undefined) return undefined;
    // Another request may have started it while the store answered.
    const running = this.#flights.get(file.sha256);
    if (running !== undefined) return running;
    const url = `${source.url}/${source.path}`;
    if (this.#client === undefined) {
      this.#client = new UpstreamClient(CLIENT_OPTIONS);
      // Once per process: spools of a process that died mid-fetch (past any fetch's time limit).
      void SpooledFetch.sweep(this.spoolDir, (this.#client.limits.requestSeconds + 3600) * 1000);
    }
    const flight = SpooledFetch.start(this.#client, url, { sha256: file.sha256, size: file.size }, this.pool, this.spoolDir);
    this.#flights.set(file.sha256, flight);
    const { logger, metrics } = this.reporting;
    flight.done.then(
      (entry) => {
        metrics.observeOnDemandFetch('stored');
        logger.info({ mirror: source.mirror, url, sha256: entry.sha256, size: entry.size }, `on-demand: stored ${source.path} from ${source.mirror}`);
      },
      (err: unknown) => {
        metrics.observeOnDemandFetch(flight.refused ? 'refused' : 'failed');
        const code = err instanceof DebstashError ? err.code : undefined;
        logger.error({ code: 'DEBSTASH_E_UPSTREAM_ON_DEMAND', cause: code, mirror: source.mirror, url, sha256: file.sha256, size: file.size }, `on-demand: ${flight.refused ? 'refused' : 'could not fetch'} ${url}: ${err instanceof Error ? err.message : String(err)}`);
      },
    ).finally(() => this.#flights.delete(file.sha256));
    return flight;
  }

  #upstreamFailed(res: ServerResponse, ex: Exchange, relative: string, err: unknown): void {
    const why = err instanceof DebstashError ? err.code : 'an error';
    res.writeHead(502, ['Content-Type', 'text/plain; charset=utf-8', 'Cache-Control', 'no-cache', ...ex.stamp]);
    res.end(`DEBSTASH_E_UPSTREAM_ON_DEMAND: ${relative} is not in the pool yet and its upstream did not deliver it (${why}); try again later\n`);
  }
}
