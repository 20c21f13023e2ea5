import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';
import { type HostUpstream, hostUpstreams } from '../upstream/host-apt-sources.js';
import type { DebstashConfig, MirrorSettings, PublishSettings, PublishSource } from './config-schema.js';

/** The store name of the mirror of one host suite: SUITE-COMPONENT, as the embedded default always named it. */
export function hostMirrorName(suite: string, component: string): string {
  return `${suite}-${component}`.replace(/[^A-Za-z0-9._+-]/g, '-');
}

function fail(what: string, setting: string): never {
  throw new DebstashError('DEBSTASH_E_CONFIG_INVALID', `${setting}: ${what}`, { setting });
}

/**
 * The config with its `host_sources` mirror (at most one, checkConfig says) replaced by what it
 * stands for, so that plan, apply and `up` only ever see plain mirrors and publishes:
 * one mirror per host suite with the entry's settings, each suite after the first taking its
 * dependencies from the first (security and update suites list only what changed, so their
 * closure is found in the base); a publish with dist `{suite}` becomes one publish per suite
 * under the same prefix, any other publish naming the entry takes the base suite's mirror.
 * The host is read only when an entry asks for it; `root` lets tests point at a fake `/`.
 */
export async function expandHostSources(config: DebstashConfig, root = '/'): Promise<DebstashConfig> {
  const entry = Object.entries(config.mirrors).find(([, m]) => m.host_sources);
  if (entry === undefined) return config;
  const [name, settings] = entry;
  const suites = await hostUpstreams(root);
  const mirrorOf = (up: HostUpstream): string => hostMirrorName(up.suite, settings.components?.[0] ?? up.components[0] ?? 'main');
  const base = mirrorOf(suites[0] as HostUpstream);
  const rename = (m: string): string => (m === name ? base : m);

  const mirrors: Record<string, MirrorSettings> = {};
  for (const [m, s] of Object.entries(config.mirrors)) {
    if (m !== name) mirrors[m] = { ...s, deps_from: s.deps_from.map(rename) };
  }
  for (const up of suites) {
    const m = mirrorOf(up);
    if (m in mirrors) fail(`the host suite ${up.suite} (${up.origin}) would be mirror "${m}", which this file names already`, `mirrors.${name}`);
    // A keyring path in Signed-By is a path on the host whose configuration this is.
    const keyring = settings.keyring ?? (up.signedBy?.startsWith('/') && !up.signedBy.includes('\n') ? [join(root, up.signedBy)] : undefined);
    mirrors[m] = {
      ...settings,
      host_sources: false,
      url: up.uri,
      dist: up.suite,
      components: settings.components ?? [up.components[0] ?? 'main'],
      ...(keyring !== undefined ? { keyring } : {}),
      deps_from: [...(m === base ? [] : [base]), ...settings.deps_from.map(rename).filter((d) => d !== m)],
      // A security fix of a library the base took only as a dependency matches no filter.
      update_deps_from: settings.update_deps_from || m !== base,
    };
  }

  const publishes: PublishSettings[] = [];
  for (const p of config.publishes) {
    const names = p.from.some((s) => 'mirror' in s && s.mirror === name);
    if (!names) {
      publishes.push(p);
      continue;
    }
    const take = (mirror: string): PublishSource[] => p.from.map((s) => ('mirror' in s && s.mirror === name ? { mirror } : s));
    if (!p.dist.includes('{suite}')) {
      publishes.push({ ...p, from: take(base) });
      continue;
    }
    for (const up of suites) publishes.push({ ...p, dist: p.dist.replaceAll('{suite}', up.suite), from: take(mirrorOf(up)) });
  }
  return { ...config, mirrors, publishes };
}
