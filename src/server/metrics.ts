import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { Context } from '../model/context.js';
import { promSample, type PromLabels, promHeader } from './prometheus-text.js';

/** Upper bounds of the task duration histogram, in seconds: a quick publish to a long first mirror update. */
const TASK_BUCKETS = [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600];

interface TaskSeries {
  readonly kind: string;
  readonly outcome: 'ok' | 'failed';
  /** Observations per bucket (not cumulative), the last slot for +Inf. */
  readonly counts: number[];
  sum: number;
  count: number;
}

interface Gauge {
  readonly help: string;
  readonly values: Map<string, { readonly labels: PromLabels; value: number }>;
}

/**
 * The counters of requests one process answered, as plain data: what a worker of `serve
 * --workers` reports to the primary, whose /metrics shows their sum.
 */
export interface RequestCounters {
  /** [route, status, count] */
  readonly requests: readonly (readonly [string, number, number])[];
  /** [route, bytes] */
  readonly bytes: readonly (readonly [string, number])[];
  /** [errno, count] */
  readonly treeOpenErrors: readonly (readonly [string, number])[];
  /** [route, count] */
  readonly treeDamaged: readonly (readonly [string, number])[];
  /** Connections refused because their address held too many (counted per process). */
  readonly refusedConnections: number;
  /** [outcome, count] of on-demand fetches from upstream (on-demand-fetch.ts). */
  readonly onDemandFetches: readonly (readonly [OnDemandOutcome, number])[];
}

/**
 * How an on-demand fetch from upstream ended: `stored` (verified, now in the pool), `refused`
 * (bytes that do not match the signed index: cut off, nothing stored), `failed` (upstream
 * down, 404, too slow...).
 */
export type OnDemandOutcome = 'stored' | 'refused' | 'failed';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Prometheus metrics of one server process: what happened here (requests, bytes, tasks), what
 * others know (gauges), and what the store holds, read at scrape time.
 */
export class Metrics {
  /** route → status → count. */
  private readonly requests = new Map<string, Map<number, number>>();
  private readonly bytes = new Map<string, number>();
  /** errno → files of the tree that exist but could not be opened. */
  private readonly treeOpenErrors = new Map<string, number>();
  /** route → files refused because their bytes no longer match (tree-damaged.ts). */
  private readonly treeDamaged = new Map<string, number>();
  private readonly tasks = new Map<string, TaskSeries>();
  private readonly onDemandFetches = new Map<OnDemandOutcome, number>();
  /** Connections closed at once because their address held too many. */
  private refusedConnections = 0;
  /** How late the event loop runs timers: every request waits at least that long. Unref'd, costs one timer. */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly gauges = new Map<string, Gauge>();

  /** One HTTP request answered: route is a template ("/api/mirrors/:name"), not the raw path. */
  observeRequest(route: string, status: number, bytes: number): void {
    this.countRequests(route, status, 1);
    this.bytes.set(route, (this.bytes.get(route) ?? 0) + bytes);
  }

  private countRequests(route: string, status: number, n: number): void {
    let byStatus = this.requests.get(route);
    if (byStatus === undefined) this.requests.set(route, (byStatus = new Map()));
    byStatus.set(status, (byStatus.get(status) ?? 0) + n);
  }

  /** A file of the tree could not be opened for a reason other than its absence (EMFILE, EACCES...). */
  observeTreeOpenError(errno: string): void {
    this.treeOpenErrors.set(errno, (this.treeOpenErrors.get(errno) ?? 0) + 1);
  }

  constructor() {
    this.loopDelay.enable();
  }

  /** A connection was refused: its address already held the most it may. */
  observeRefusedConnection(): void {
    this.refusedConnections++;
  }

  /** A file was not served because its bytes are not what it is published as. */
  observeTreeDamaged(route: string): void {
    this.treeDamaged.set(route, (this.treeDamaged.get(route) ?? 0) + 1);
  }

  /** An on-demand fetch from upstream ended. */
  observeOnDemandFetch(outcome: OnDemandOutcome): void {
    this.onDemandFetches.set(outcome, (this.onDemandFetches.get(outcome) ?? 0) + 1);
  }

  /** A task (mirror update, publish) finished. */
  observeTask(kind: string, seconds: number, ok: boolean): void {
    const outcome = ok ? 'ok' : 'failed';
    const key = `${kind}\0${outcome}`;
    let s = this.tasks.get(key);
    if (s === undefined) this.tasks.set(key, (s = { kind, outcome, counts: new Array<number>(TASK_BUCKETS.length + 1).fill(0), sum: 0, count: 0 }));
    const i = TASK_BUCKETS.findIndex((le) => seconds <= le);
    s.counts[i < 0 ? TASK_BUCKETS.length : i]! += 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** A gauge set by whoever knows its value (e.g. `up`'s last refresh). */
  setGauge(name: string, help: string, value: number, labels: Readonly<Record<string, string>> = {}): void {
    if (!METRIC_NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)} is not a Prometheus name`);
    let g = this.gauges.get(name);
    if (g === undefined) this.gauges.set(name, (g = { help, values: new Map() }));
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    g.values.set(key, { labels, value });
  }

  /** Adds counters of another process (a worker that ended) to this one's. */
  addCounters(c: RequestCounters): void {
    for (const [route, status, n] of c.requests) this.countRequests(route, status, n);
    for (const [route, n] of c.bytes) this.bytes.set(route, (this.bytes.get(route) ?? 0) + n);
    for (const [errno, n] of c.treeOpenErrors) this.treeOpenErrors.set(errno, (this.treeOpenErrors.get(errno) ?? 0) + n);
    for (const [route, n] of c.treeDamaged) this.treeDamaged.set(route, (this.treeDamaged.get(route) ?? 0) + n);
    this.refusedConnections += c.refusedConnections;
    for (const [outcome, n] of c.onDemandFetches) this.onDemandFetches.set(outcome, (this.onDemandFetches.get(outcome) ?? 0) + n);
  }

  /** This process's request counters, to be summed elsewhere. */
  counters(): RequestCounters {
    const requests: [string, number, number][] = [];
    for (const [route, byStatus] of this.requests) for (const [status, n] of byStatus) requests.push([route, status, n]);
    return {
      requests,
      bytes: [...this.bytes],
      treeOpenErrors: [...this.treeOpenErrors],
      treeDamaged: [...this.treeDamaged],
      refusedConnections: this.refusedConnections,
      onDemandFetches: [...this.onDemandFetches],
    };
  }

  /**
   * The Prometheus text exposition, including what is read from the store at scrape time;
   * the request counters are this process's plus those of `peers` (the workers it serves with).
   */
  async render(ctx: Context, peers: readonly RequestCounters[] = []): Promise<string> {
    const all = [this.counters(), ...peers];
    const out: string[] = [];
    out.push(...promHeader('debstash_http_requests_total', 'HTTP requests answered, by route template and status.', 'counter'));
    const requests = sumBy(all.flatMap((c) => c.requests.map(([route, status, n]) => [`${route}\0${status}`, n] as const)));
    for (const [key, n] of requests) {
      const [route = '', status = ''] = key.split('\0');
      out.push(promSample('debstash_http_requests_total', { route, status }, n));
    }
    out.push(...promHeader('debstash_http_response_bytes_total', 'Response body bytes sent, by route template.', 'counter'));
    for (const [route, n] of sumBy(all.flatMap((c) => c.bytes))) out.push(promSample('debstash_http_response_bytes_total', { route }, n));
    out.push(...promHeader('debstash_tree_open_errors_total', 'Files of the APT tree that exist but could not be opened (answered 403 or 503), by errno.', 'counter'));
    for (const [errno, n] of sumBy(all.flatMap((c) => c.treeOpenErrors))) out.push(promSample('debstash_tree_open_errors_total', { errno }, n));
    out.push(...promHeader('debstash_connections_refused_total', 'Connections answered 503 at once because their address held DEBSTASH_MAX_CONNECTIONS_PER_ADDRESS open.', 'counter'));
    out.push(promSample('debstash_connections_refused_total', {}, all.reduce((sum, c) => sum + c.refusedConnections, 0)));
    // The delay of the process that answers /metrics (the primary with --workers): workers
    // only serve files, so theirs is not where requests wait on store work.
    out.push(...promHeader('debstash_event_loop_delay_seconds', 'Event-loop delay of this process since it started (p50, p99, max).', 'gauge'));
    for (const [quantile, ns] of [['0.5', this.loopDelay.percentile(50)], ['0.99', this.loopDelay.percentile(99)], ['1', this.loopDelay.max]] as const) {
      out.push(promSample('debstash_event_loop_delay_seconds', { quantile }, ns / 1e9));
    }
    out.push(...promHeader('debstash_tree_damaged_total', 'Requests answered 500 because the file\'s bytes no longer match its published size or hash, by route template.', 'counter'));
    for (const [route, n] of sumBy(all.flatMap((c) => c.treeDamaged))) out.push(promSample('debstash_tree_damaged_total', { route }, n));
    out.push(...promHeader('debstash_on_demand_fetches_total', 'Package files of on-demand mirrors fetched from upstream at a client\'s request, by outcome (stored, refused: bytes not as signed, failed).', 'counter'));
    for (const [outcome, n] of sumBy(all.flatMap((c) => c.onDemandFetches))) out.push(promSample('debstash_on_demand_fetches_total', { outcome }, n));

    out.push(...promHeader('debstash_task_duration_seconds', 'Duration of finished tasks (mirror update, publish...), by kind and outcome.', 'histogram'));
    for (const s of this.tasks.values()) {
      let cumulative = 0;
      TASK_BUCKETS.forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        out.push(promSample('debstash_task_duration_seconds_bucket', { kind: s.kind, outcome: s.outcome, le: String(le) }, cumulative));
      });
      out.push(promSample('debstash_task_duration_seconds_bucket', { kind: s.kind, outcome: s.outcome, le: '+Inf' }, s.count));
      out.push(promSample('debstash_task_duration_seconds_sum', { kind: s.kind, outcome: s.outcome }, s.sum));
      out.push(promSample('debstash_task_duration_seconds_count', { kind: s.kind, outcome: s.outcome }, s.count));
    }

    out.push(...(await storeMetrics(ctx)));

    for (const [name, g] of this.gauges) {
      out.push(...promHeader(name, g.help, 'gauge'));
      for (const { labels, value } of g.values.values()) out.push(promSample(name, labels, value));
    }
    return `${out.join('\n')}\n`;
  }
}

/** Sums the counts of equal keys, in the order keys first appear. */
function sumBy(entries: readonly (readonly [string, number])[]): Map<string, number> {
  const sums = new Map<string, number>();
  for (const [key, n] of entries) sums.set(key, (sums.get(key) ?? 0) + n);
  return sums;
}

/** What the store holds now; a store that does not answer shows as debstash_store_up 0. */
async function storeMetrics(ctx: Context): Promise<string[]> {
  const out = promHeader('debstash_store_up', 'Whether the store answered this scrape.', 'gauge');
  let mirrors, repos, snapshots, publishes;
  try {
    [mirrors, repos, snapshots, publishes] = await Promise.all([ctx.store.listMirrors(), ctx.store.listRepos(), ctx.store.listSnapshots(), ctx.store.listPublishes()]);
  } catch {
    out.push(promSample('debstash_store_up', {}, 0));
    return out;
  }
  out.push(promSample('debstash_store_up', {}, 1));
  out.push(...promHeader('debstash_mirror_last_success_timestamp_seconds', 'When the last update of a mirror committed (absent before the first).', 'gauge'));
  for (const m of mirrors) {
    if (m.updatedAt !== undefined) out.push(promSample('debstash_mirror_last_success_timestamp_seconds', { mirror: m.name }, Date.parse(m.updatedAt) / 1000));
  }
  out.push(...promHeader('debstash_mirror_packages', 'Packages a mirror holds.', 'gauge'));
  for (const m of mirrors) out.push(promSample('debstash_mirror_packages', { mirror: m.name }, m.packageCount));
  out.push(...promHeader('debstash_repo_packages', 'Packages a local repo holds.', 'gauge'));
  for (const r of repos) out.push(promSample('debstash_repo_packages', { repo: r.name }, r.packageCount));
  out.push(...promHeader('debstash_snapshots', 'Snapshots in the store.', 'gauge'));
  out.push(promSample('debstash_snapshots', {}, snapshots.length));
  out.push(...promHeader('debstash_publishes', 'Publishes in the store.', 'gauge'));
  out.push(promSample('debstash_publishes', {}, publishes.length));
  return out;
}
