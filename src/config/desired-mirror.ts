import { DebstashError } from '../errors/debstash-error.js';
import { hostArchitecture, hostKeyringsFor } from '../model/host-defaults.js';
import type { MirrorConfig } from '../store/records.js';
import { normalizeMirrorConfig } from '../model/normalize-mirror-config.js';
import { firstHostUpstream, type HostUpstream } from '../upstream/host-apt-sources.js';
import type { MirrorSettings } from './config-schema.js';

const nonEmpty = (values: readonly string[] | undefined): string[] | undefined => {
  const kept = values?.filter((v) => v.trim() !== '');
  return kept === undefined || kept.length === 0 ? undefined : kept;
};

/**
 * The complete mirror config a debstash.yaml mirror stands for. An omitted (or empty) url means
 * the host's first apt "deb" source with its suite, first component and Signed-By keyring, as
 * the embedded default does; the host is read once per apply (`host` caches it).
 */
export async function desiredMirrorConfig(name: string, settings: MirrorSettings, host: () => Promise<HostUpstream>): Promise<MirrorConfig> {
  const url = settings.url?.trim() || undefined;
  const up = url === undefined ? await host() : undefined;
  const uri = url ?? up?.uri ?? '';
  const given = nonEmpty(settings.keyring);
  const keyrings = given ?? (up?.signedBy?.startsWith('/') ? [up.signedBy] : await hostKeyringsFor(uri));
  if (keyrings.length === 0) {
    throw new DebstashError('DEBSTASH_E_CONFIG_INVALID', `mirrors.${name}.keyring: no keyring to verify ${uri} with (none given, no Signed-By, nothing in /etc/apt/trusted.gpg.d)`, { setting: `mirrors.${name}.keyring` });
  }
  const architectures = nonEmpty(settings.architectures) ?? [hostArchitecture()];
  try {
    return normalizeMirrorConfig(
      {
        url: uri,
        dist: settings.dist?.trim() || up?.suite || '',
        components: nonEmpty(settings.components) ?? [up?.components[0] ?? 'main'],
        architectures,
        ...(settings.filter?.trim() ? { filter: settings.filter } : {}),
        withDeps: settings.with_deps,
        withRecommends: settings.with_recommends,
        withSources: settings.with_sources,
        withUdebs: settings.with_udebs,
        keyrings,
        depsFrom: settings.deps_from,
        updateDepsFrom: settings.update_deps_from,
        policy: settings.policy.replaceAll('_', '-'),
      },
      { architectures, keyrings },
    );
  } catch (err) {
    if (!(err instanceof DebstashError)) throw err;
    const field = String(err.details.field ?? '');
    throw new DebstashError('DEBSTASH_E_CONFIG_INVALID', `mirrors.${name}${field ? `.${field}` : ''}: ${err.message}`, { setting: `mirrors.${name}${field ? `.${field}` : ''}` }, { cause: err });
  }
}

/** One read of the host's apt sources per apply, and only if a mirror needs it. */
export function hostUpstreamOnce(): () => Promise<HostUpstream> {
  let cached: Promise<HostUpstream> | undefined;
  return () => (cached ??= firstHostUpstream());
}

const SETTING_OF: Readonly<Record<keyof MirrorConfig, string>> = {
  url: 'url',
  dist: 'dist',
  components: 'components',
  architectures: 'architectures',
  filter: 'filter',
  withDeps: 'with_deps',
  withRecommends: 'with_recommends',
  withSources: 'with_sources',
  withUdebs: 'with_udebs',
  keyrings: 'keyring',
  depsFrom: 'deps_from',
  updateDepsFrom: 'update_deps_from',
  policy: 'policy',
};

/** The debstash.yaml names of the settings where the stored mirror differs from the wanted one. */
export function mirrorDifferences(stored: MirrorConfig, wanted: MirrorConfig): string[] {
  return (Object.keys(SETTING_OF) as (keyof MirrorConfig)[]).filter((k) => JSON.stringify(stored[k]) !== JSON.stringify(wanted[k])).map((k) => SETTING_OF[k]);
}
