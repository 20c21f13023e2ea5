import { readFile } from 'node:fs/promises';
import { generateKey } from '../keys/generate-key.js';
import { importKey } from '../keys/import-key.js';
import { keyError } from '../keys/key-error.js';
import type { Context } from '../model/context.js';
import { requireMirror } from '../model/mirror-admin.js';
import { publish, switchPublish } from '../model/publish-ops.js';
import { dropSnapshot } from '../model/snapshot-ops.js';
import { validateName } from '../model/validate-name.js';
import type { PublishRecord } from '../store/records.js';
import type { DebstashConfig, PublishSettings } from './config-schema.js';
import { describeStep } from './format-plan.js';
import { type PlanOptions, planKeys, planPublishes, snapshotDescription, syncMirrors, syncRepos } from './plan-apply.js';
import type { MirrorWarning, PlanStep } from './plan-step.js';
import { publishLabel } from './plan-step.js';
import { signingPassphrase } from './signing-passphrase.js';
import { normalizePrefix } from '../model/require-publish.js';
import { DebstashError } from '../errors/debstash-error.js';

export interface ApplyOptions extends PlanOptions {
  /** Where keys.passphrase_env is read; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface ApplyResult {
  /** What was done, in order; empty when the store already matched ("nothing to do"). */
  readonly steps: readonly PlanStep[];
  /** The configured publishes as they are now. */
  readonly publishes: readonly PublishRecord[];
  /** Filter terms of the mirrors that matched nothing (strict_filter makes them fail instead). */
  readonly warnings: readonly MirrorWarning[];
}

/** One snapshot of everything a publish's sources hold now (several sources are merged). */
async function makeSnapshot(ctx: Context, step: PlanStep & { action: 'snapshot' }): Promise<void> {
  validateName('snapshot', step.snapshot);
  for (const s of step.from) {
    if (!('mirror' in s)) continue;
    const m = await requireMirror(ctx, s.mirror);
    if (m.updatedAt === undefined) throw new DebstashError('DEBSTASH_E_USAGE', `mirror "${s.mirror}" was never updated; nothing to snapshot`, { mirror: s.mirror });
  }
  const origins = step.from.map((s) => ('mirror' in s ? { kind: 'mirror' as const, name: s.mirror } : { kind: 'repo' as const, name: s.repo }));
  // The union is copied inside the store (a package in several sources keeps the first's component).
  await ctx.store.transaction((tx) => tx.createSnapshotOfOrigins(step.snapshot, snapshotDescription(step), origins, new Date().toISOString()));
}

async function ensureKey(ctx: Context, config: DebstashConfig, step: PlanStep, passphrase: string | undefined): Promise<void> {
  if (step.action === 'generate-key') {
    await generateKey(ctx.store, { algorithm: step.algorithm, ...(config.keys.name ? { name: config.keys.name } : {}), ...(config.keys.email ? { email: config.keys.email } : {}), ...(passphrase ? { passphrase } : {}) });
  } else if (step.action === 'import-key') {
    const bytes = await readFile(step.file).catch((err: unknown) => {
      throw keyError('DEBSTASH_E_KEY_INVALID', `keys.import: cannot read ${step.file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { path: step.file }, err);
    });
    await importKey(ctx.store, bytes, passphrase ? { passphrase } : {});
  }
}

/**
 * `debstash apply`: makes the store match the config, doing only what differs. Mirrors are
 * updated for real (cheap when the upstream Release is unchanged), then the publish steps are
 * planned against what the updates left, so a snapshot is made only when a publish's package
 * set really changed. Every step is reported to `progress` as it starts.
 */
export async function applyConfig(ctx: Context, config: DebstashConfig, options: ApplyOptions = {}): Promise<ApplyResult> {
  const progress = options.progress;
  const announce = (s: PlanStep): void => progress?.({ type: 'phase', phase: 'apply', message: describeStep(s) });
  const passphrase = await signingPassphrase(config.keys, options.env);
  const done: PlanStep[] = [];
  for (const step of await planKeys(ctx, config)) {
    announce(step);
    await ensureKey(ctx, config, step, passphrase);
    done.push(step);
  }
  const mirrors = await syncMirrors(ctx, config, true, options);
  done.push(...mirrors.steps);
  done.push(...(await syncRepos(ctx, config, true)));
  const signal = options.signal ? { signal: options.signal } : {};
  const secret = passphrase !== undefined ? { passphrase } : {};
  // Every Release names the server's public URL (Snapshots:); a change of it or of
  // keep_generations takes effect at the next switch.
  const configured = (label: string): PublishSettings | undefined => config.publishes.find((c) => publishLabel(normalizePrefix(c.prefix), c.dist) === label);
  const history = (p: PublishSettings | undefined): { publicUrl?: string; keepGenerations?: number } => ({
    ...(config.server.public_url ? { publicUrl: config.server.public_url } : {}),
    ...(p !== undefined ? { keepGenerations: p.keep_generations } : {}),
  });
  for (const step of await planPublishes(ctx, config, new Map(), options.now ?? new Date())) {
    announce(step);
    if (step.action === 'snapshot') await makeSnapshot(ctx, step);
    else if (step.action === 'publish') {
      const p = configured(step.publish);
      await publish(ctx, { kind: 'snapshot', name: step.snapshot }, { dist: step.dist, prefix: step.prefix, component: p?.component ?? 'main', origin: p?.origin ?? 'debstash', ...(p?.label ? { label: p.label } : {}), ...history(p), ...secret, ...signal });
    } else if (step.action === 'switch') await switchPublish(ctx, step.dist, step.snapshot, { prefix: step.prefix, ...history(configured(step.publish)), ...secret, ...signal });
    else if (step.action === 'drop-snapshot') await dropSnapshot(ctx, step.snapshot);
    done.push(step);
  }
  const publishes: PublishRecord[] = [];
  for (const p of config.publishes) {
    const record = await ctx.store.getPublish(normalizePrefix(p.prefix), p.dist);
    if (record !== undefined) publishes.push(record);
  }
  return { steps: done, publishes, warnings: mirrors.warnings };
}
