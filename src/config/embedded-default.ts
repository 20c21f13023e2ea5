import { DebstashError } from '../errors/debstash-error.js';
import { ensureSigningKey } from '../keys/ensure-key.js';
import type { Context } from '../model/context.js';
import { hostArchitecture, hostKeyringsFor } from '../model/host-defaults.js';
import { createMirror } from '../model/mirror-admin.js';
import { updateMirror } from '../model/mirror-update.js';
import type { ProgressSink } from '../model/progress.js';
import { publish, switchPublish } from '../model/publish-ops.js';
import { createSnapshot, dropSnapshot } from '../model/snapshot-ops.js';
import type { PublishRecord } from '../store/records.js';
import { firstHostUpstream } from '../upstream/host-apt-sources.js';

/** The seed filter of the embedded default (DESIGN.md): a base system plus postgresql and python3. */
export const DEFAULT_FILTER = 'Priority (required) | Priority (important) | Priority (standard) | postgresql | python3';
/** Snapshots of the default mirror kept besides the published one. */
const KEEP_SNAPSHOTS = 3;

export interface ApplyResult {
  readonly mirror: string;
  readonly publish: PublishRecord;
  /** A new snapshot was made and published in this run. */
  readonly changed: boolean;
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * What `debstash up` does without a debstash.yaml: mirror the host's own first apt source
 * (its Signed-By keyring, one component, the host architecture) with the seed filter and its
 * dependencies, snapshot it when it changed, and publish that snapshot signed at the root as
 * the upstream's distribution (first run) or switch the publish to it (later runs).
 */
export async function applyEmbeddedDefault(ctx: Context, options: { progress?: ProgressSink; signal?: AbortSignal; now?: Date } = {}): Promise<ApplyResult> {
  const up = await firstHostUpstream();
  const component = up.components[0] ?? 'main';
  const mirror = `${up.suite}-${component}`.replace(/[^A-Za-z0-9._+-]/g, '-');
  await ensureSigningKey(ctx.dataDir);
  if ((await ctx.store.getMirror(mirror)) === undefined) {
    const arch = hostArchitecture();
    const keyrings = up.signedBy?.startsWith('/') ? [up.signedBy] : await hostKeyringsFor(up.uri);
    if (keyrings.length === 0) {
      throw new DebstashError('DEBSTASH_E_NO_APT_SOURCE', `${up.origin}: no keyring to verify ${up.uri} with (no Signed-By, nothing in /etc/apt/trusted.gpg.d)`, { origin: up.origin });
    }
    await createMirror(ctx, mirror, { url: up.uri, dist: up.suite, components: [component], architectures: [arch], filter: DEFAULT_FILTER, withDeps: true, keyrings }, { architectures: [arch], keyrings });
  }
  const updated = await updateMirror(ctx, mirror, { ...(options.progress ? { progress: options.progress } : {}), ...(options.signal ? { signal: options.signal } : {}) });
  const current = await ctx.store.getPublish('', up.suite);
  if (current !== undefined && updated.upToDate) return { mirror, publish: current, changed: false };

  const snapshot = `${mirror}-${stamp(options.now ?? new Date())}`;
  await createSnapshot(ctx, snapshot, { mirror });
  const published =
    current === undefined
      ? await publish(ctx, { kind: 'snapshot', name: snapshot }, { dist: up.suite, component: 'main', ...(options.signal ? { signal: options.signal } : {}) })
      : await switchPublish(ctx, up.suite, snapshot, options.signal ? { signal: options.signal } : {});
  const old = (await ctx.store.listSnapshots()).filter((s) => s.name.startsWith(`${mirror}-`) && s.name !== snapshot).slice(0, -KEEP_SNAPSHOTS);
  for (const s of old) await dropSnapshot(ctx, s.name).catch(() => undefined);
  return { mirror, publish: published, changed: true };
}
