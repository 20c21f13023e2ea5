import { stringify } from 'yaml';
import type { AptlyInstallation, AptlyPublish } from '../model/aptly-installation.js';
import type { MirrorConfig } from '../store/records.js';
import type { PublishSource } from './config-schema.js';

/**
 * The mirrors and repos a publish of aptly's shows, traced through its snapshots; undefined
 * when a snapshot does not say where it came from (filtered or pulled in aptly), which a
 * debstash.yaml publish (a fresh snapshot of mirrors and repos each time) cannot express.
 */
function sourcesOf(inst: AptlyInstallation, p: AptlyPublish): PublishSource[] | undefined {
  if (p.source.kind === 'repo') return [{ repo: p.source.name }];
  const out = new Map<string, PublishSource>();
  const seen = new Set<string>();
  const visit = (name: string): boolean => {
    if (seen.has(name)) return true;
    seen.add(name);
    const s = inst.snapshots.find((x) => x.name === name);
    if (s === undefined || s.sources.length === 0) return false;
    for (const src of s.sources) {
      if (src.kind === 'snapshot') {
        if (!visit(src.name)) return false;
      } else out.set(`${src.kind} ${src.name}`, src.kind === 'mirror' ? { mirror: src.name } : { repo: src.name });
    }
    return true;
  };
  return visit(p.source.name) ? [...out.values()] : undefined;
}

/**
 * A debstash.yaml that keeps the imported installation going under `debstash apply`: the
 * mirrors with their settings, the repos, and each publish as a publish of the mirrors and
 * repos its snapshot was made of. What it cannot express is left out with a comment saying so.
 */
export function aptlyConfigYaml(inst: AptlyInstallation, mirrors: readonly { readonly name: string; readonly config: MirrorConfig }[]): string {
  const notes: string[] = [];
  const publishes: Record<string, unknown>[] = [];
  for (const p of inst.publishes) {
    const where = `${p.prefix || '.'}/${p.dist}`;
    const from = p.unsupported === undefined && p.components.length === 1 ? sourcesOf(inst, p) : undefined;
    if (from === undefined || from.length === 0) {
      const why =
        p.unsupported ??
        (p.components.length > 1
          ? `it publishes ${p.components.length} sources in components ${p.components.map((c) => c.component).join(', ')}, and a debstash.yaml publish files everything under one component`
          : `snapshot "${p.source.name}" was not made of mirrors and repos alone (filtered or pulled in aptly)`);
      notes.push(`# publish ${where} is not here: ${why}; it stays published as imported.`);
      continue;
    }
    publishes.push({
      dist: p.dist,
      ...(p.prefix ? { prefix: p.prefix } : {}),
      from,
      component: p.component,
      ...(p.origin ? { origin: p.origin } : {}),
      ...(p.label ? { label: p.label } : {}),
    });
  }
  const doc = {
    mirrors: Object.fromEntries(
      mirrors.map(({ name, config: c }) => [
        name,
        {
          url: c.url,
          dist: c.dist,
          components: [...c.components],
          architectures: [...c.architectures],
          ...(c.keyrings.length > 0 ? { keyring: [...c.keyrings] } : {}),
          ...(c.filter !== undefined ? { filter: c.filter } : {}),
          with_deps: c.withDeps,
          with_sources: c.withSources,
          with_udebs: c.withUdebs,
        },
      ]),
    ),
    repos: Object.fromEntries(inst.repos.map((r) => [r.name, { comment: r.comment }])),
    publishes,
  };
  const header = [`# debstash.yaml written by "debstash import aptly" from ${inst.config}.`, '# Snapshots were imported as snapshots; "debstash apply" keeps the mirrors, repos and publishes below going.', ...notes];
  return `${header.join('\n')}\n${stringify(doc)}`;
}
