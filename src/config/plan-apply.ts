import { DebstashError } from '../errors/debstash-error.js';
import { storedFingerprints } from '../keys/key-store.js';
import type { Context } from '../model/context.js';
import { createMirror, editMirror } from '../model/mirror-admin.js';
import { updateMirror } from '../model/mirror-update.js';
import type { ProgressSink } from '../model/progress.js';
import { createRepo } from '../model/repo-ops.js';
import { normalizePrefix } from '../model/require-publish.js';
import { packageKey, type PackageEntry } from '../store/records.js';
import type { UpstreamClient } from '../upstream/http-client.js';
import { mirrorOrder } from './check-config.js';
import type { DebstashConfig, PublishSettings, PublishSource } from './config-schema.js';
import { desiredMirrorConfig, hostUpstreamOnce, mirrorDifferences } from './desired-mirror.js';
import { type MirrorWarning, type PlanStep, publishLabel } from './plan-step.js';
import { snapshotDate, snapshotName } from './snapshot-name.js';

export interface PlanOptions {
  readonly progress?: ProgressSink;
  readonly signal?: AbortSignal;
  /** The time in `{date}` of new snapshot names; default now. */
  readonly now?: Date;
  /** An existing upstream client (tests set short timeouts); one per update otherwise. */
  readonly client?: UpstreamClient;
}

/** What planning knows of a mirror's next package set: it changes, or it may (new or edited). */
export type PendingChange = 'changed' | 'unknown';

/** Snapshots `apply` made for a publish carry its label in their description; retention counts only those. */
export const ownedBy = (label: string, description: string): boolean => description.startsWith(`for publish ${label}: `);

export async function planKeys(ctx: Context, config: DebstashConfig): Promise<PlanStep[]> {
  if ((await storedFingerprints(ctx.store)).length > 0) return [];
  return [config.keys.import !== undefined ? { action: 'import-key', file: config.keys.import } : { action: 'generate-key', algorithm: config.keys.generate ?? 'ed25519' }];
}

/** Rewords an error of one mirror so it names the mirror and its setting, keeping its code. */
function aboutMirror(name: string, err: unknown): unknown {
  if (!(err instanceof DebstashError) || err.code === 'DEBSTASH_E_CANCELLED') return err;
  return new DebstashError(err.code, `mirror "${name}" (mirrors.${name}): ${err.message}`, { ...err.details, mirror: name, setting: `mirrors.${name}` }, { cause: err });
}

/**
 * Brings the mirrors in line: create or edit where the stored settings differ, then update.
 * With `execute` false nothing is written: updates are dry runs, and a mirror that would be
 * created or edited cannot be asked, so its change (and its filter warnings) is 'unknown'.
 * Filter warnings are collected; strict_filter makes them fail a real update only, so that a
 * plan still shows them all.
 */
export async function syncMirrors(
  ctx: Context,
  config: DebstashConfig,
  execute: boolean,
  options: PlanOptions,
): Promise<{ steps: PlanStep[]; pending: Map<string, PendingChange>; warnings: MirrorWarning[] }> {
  const steps: PlanStep[] = [];
  const pending = new Map<string, PendingChange>();
  const warnings: MirrorWarning[] = [];
  const host = hostUpstreamOnce();
  for (const name of mirrorOrder(config)) {
    const settings = config.mirrors[name];
    if (settings === undefined) continue;
    const wanted = await desiredMirrorConfig(name, settings, host);
    const stored = await ctx.store.getMirror(name);
    let reason = 'upstream changed';
    if (stored === undefined) {
      steps.push({ action: 'create-mirror', mirror: name, url: wanted.url, dist: wanted.dist });
      if (execute) await createMirror(ctx, name, wanted, { architectures: wanted.architectures, keyrings: wanted.keyrings });
      reason = 'new mirror';
    } else {
      const changes = mirrorDifferences(stored.config, wanted);
      if (changes.length > 0) {
        steps.push({ action: 'edit-mirror', mirror: name, changes });
        if (execute) await editMirror(ctx, name, { ...wanted, filter: wanted.filter, updateDepsFrom: wanted.updateDepsFrom === true, policy: wanted.policy ?? 'immediate' });
        reason = 'settings changed';
      }
    }
    if (!execute && reason !== 'upstream changed') {
      steps.push({ action: 'update-mirror', mirror: name, reason });
      pending.set(name, 'unknown');
      continue;
    }
    const result = await updateMirror(ctx, name, {
      dryRun: !execute,
      strictFilter: execute && (settings.strict_filter ?? config.strict_filter),
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.client ? { client: options.client } : {}),
    }).catch((err: unknown) => {
      throw aboutMirror(name, err);
    });
    warnings.push(...result.warnings.map((w) => ({ mirror: name, ...w })));
    if (result.upToDate) continue;
    steps.push({ action: 'update-mirror', mirror: name, reason, added: result.added.length, removed: result.removed.length });
    if (result.added.length + result.removed.length > 0) pending.set(name, 'changed');
  }
  return { steps, pending, warnings };
}

export async function syncRepos(ctx: Context, config: DebstashConfig, execute: boolean): Promise<PlanStep[]> {
  const steps: PlanStep[] = [];
  for (const [name, settings] of Object.entries(config.repos)) {
    if ((await ctx.store.getRepo(name)) !== undefined) continue;
    steps.push({ action: 'create-repo', repo: name });
    if (execute) await createRepo(ctx, name, settings.comment);
  }
  return steps;
}

const keysOf = (packages: readonly PackageEntry[]): Set<string> => new Set(packages.map(packageKey));
const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>): boolean => a.size === b.size && [...a].every((k) => b.has(k));

/**
 * What a publish's sources hold now; undefined while one of its mirrors is still to be created
 * (a plan does not create it), so its contents are known only after the mirror's first update.
 */
async function sourcePackages(ctx: Context, from: readonly PublishSource[]): Promise<PackageEntry[] | undefined> {
  const out: PackageEntry[] = [];
  for (const s of from) {
    if ('mirror' in s) {
      if ((await ctx.store.getMirror(s.mirror)) === undefined) return undefined;
      out.push(...(await ctx.store.mirrorPackages(s.mirror)));
    } else if ((await ctx.store.getRepo(s.repo)) !== undefined) out.push(...(await ctx.store.repoPackages(s.repo)));
  }
  return out;
}

/** The `{publish}` of a snapshot name: the dist, after the prefix if any. */
const publishSlug = (prefix: string, dist: string): string => `${prefix ? `${prefix.replace(/\//g, '-')}-` : ''}${dist}`;

/**
 * Snapshot, publish or switch, and retention, for every publish of the config. A publish gets a
 * new snapshot when it has none yet, when what its sources hold differs from what it shows,
 * or (`pending`) when a mirror update is about to change it.
 */
export async function planPublishes(ctx: Context, config: DebstashConfig, pending: ReadonlyMap<string, PendingChange>, now: Date): Promise<PlanStep[]> {
  const snapshots = await ctx.store.listSnapshots();
  const taken = new Set(snapshots.map((s) => s.name));
  const stored = await ctx.store.listPublishes();
  const configured = new Set(config.publishes.map((p) => publishLabel(normalizePrefix(p.prefix), p.dist)));
  const inUse = new Set(stored.filter((p) => !configured.has(publishLabel(p.prefix, p.dist)) && p.source.kind === 'snapshot').map((p) => p.source.name));
  const perPublish: { p: PublishSettings; label: string; next?: PlanStep & { action: 'snapshot' }; steps: PlanStep[] }[] = [];

  for (const p of config.publishes) {
    const prefix = normalizePrefix(p.prefix);
    const label = publishLabel(prefix, p.dist);
    const current = stored.find((s) => s.prefix === prefix && s.dist === p.dist);
    const shown = current === undefined ? undefined : current.source.kind === 'snapshot' ? await ctx.store.snapshotPackages(current.source.name) : await ctx.store.repoPackages(current.source.name);
    const states = p.from.map((s) => ('mirror' in s ? pending.get(s.mirror) : undefined));
    const holds = shown === undefined || states.includes('changed') ? undefined : await sourcePackages(ctx, p.from);
    // A source mirror still to be created is 'unknown' in `states`: `maybe` covers it.
    const differs = shown === undefined || states.includes('changed') || (holds !== undefined && !sameSet(keysOf(holds), keysOf(shown)));
    const maybe = !differs && states.includes('unknown');
    const steps: PlanStep[] = [];
    let next: (PlanStep & { action: 'snapshot' }) | undefined;
    if (differs || maybe) {
      const first = (kind: 'mirror' | 'repo'): string | undefined => p.from.map((s) => (kind === 'mirror' && 'mirror' in s ? s.mirror : kind === 'repo' && 'repo' in s ? s.repo : undefined)).find((n) => n !== undefined);
      const snapshot = snapshotName(p.snapshot_name, { publish: publishSlug(prefix, p.dist), mirror: first('mirror') ?? first('repo') ?? '', repo: first('repo') ?? first('mirror') ?? '', date: snapshotDate(now) }, taken);
      taken.add(snapshot);
      next = { action: 'snapshot', snapshot, publish: label, from: p.from, ifChanged: maybe };
      steps.push(next);
      steps.push(current === undefined ? { action: 'publish', publish: label, prefix, dist: p.dist, snapshot } : { action: 'switch', publish: label, prefix, dist: p.dist, snapshot, previous: current.source.name });
    }
    if (current !== undefined && (next === undefined || maybe) && current.source.kind === 'snapshot') inUse.add(current.source.name);
    if (next !== undefined) inUse.add(next.snapshot);
    perPublish.push({ p, label, ...(next ? { next } : {}), steps });
  }

  const out: PlanStep[] = [];
  for (const { p, label, next, steps } of perPublish) {
    const owned = snapshots.filter((s) => ownedBy(label, s.description)).sort((a, b) => (a.createdAt === b.createdAt ? (a.name < b.name ? -1 : 1) : a.createdAt < b.createdAt ? -1 : 1)).map((s) => s.name);
    const newestFirst = [...(next ? [next.snapshot] : []), ...owned.reverse()];
    for (const old of newestFirst.slice(p.keep)) if (!inUse.has(old)) steps.push({ action: 'drop-snapshot', snapshot: old, publish: label });
    out.push(...steps);
  }
  return out;
}

/** The description a snapshot made for this publish step gets (see ownedBy). */
export function snapshotDescription(step: PlanStep & { action: 'snapshot' }): string {
  return `for publish ${step.publish}: ${step.from.map((s) => ('mirror' in s ? `mirror ${s.mirror}` : `repo ${s.repo}`)).join(', ')}`;
}

export interface Plan {
  readonly steps: readonly PlanStep[];
  /** Filter warnings of the mirrors that exist with unchanged settings (others: known after update). */
  readonly warnings: readonly MirrorWarning[];
}

/**
 * `debstash apply --plan`: what apply would do, changing nothing. Mirrors that exist are asked
 * upstream (a dry-run update: a conditional GET of Release when nothing changed).
 */
export async function planApply(ctx: Context, config: DebstashConfig, options: PlanOptions = {}): Promise<Plan> {
  const keys = await planKeys(ctx, config);
  const mirrors = await syncMirrors(ctx, config, false, options);
  const repos = await syncRepos(ctx, config, false);
  return { steps: [...keys, ...mirrors.steps, ...repos, ...(await planPublishes(ctx, config, mirrors.pending, options.now ?? new Date()))], warnings: mirrors.warnings };
}
