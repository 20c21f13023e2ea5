import { DebstashError } from '../errors/debstash-error.js';
import { validateName } from '../model/validate-name.js';
import { normalizePrefix } from '../model/require-publish.js';
import { parseQuery } from '../query/index.js';
import { configError } from './config-error.js';
import type { ConfigSourceMap, SettingPath } from './config-location.js';
import type { DebstashConfig } from './config-schema.js';
import { unknownPlaceholders } from './snapshot-name.js';

/** What the schema cannot check: names, filters, references between settings. */
export function checkConfig(config: DebstashConfig, source: ConfigSourceMap): void {
  const fail = (path: SettingPath, what: string, extra: Readonly<Record<string, string | number>> = {}, key?: string): never => {
    throw configError('DEBSTASH_E_CONFIG_INVALID', source.locate(path, key), what, extra);
  };
  const name = (kind: 'mirror' | 'repo', section: string, n: string): void => {
    try {
      validateName(kind, n);
    } catch (err) {
      if (err instanceof DebstashError) fail([section], err.message, {}, n);
      throw err;
    }
  };
  let hostMirror: string | undefined;
  for (const [m, settings] of Object.entries(config.mirrors)) {
    name('mirror', 'mirrors', m);
    if (settings.host_sources) {
      if (hostMirror !== undefined) fail(['mirrors', m, 'host_sources'], `mirrors.${hostMirror} takes the host's sources already (their mirrors are named SUITE-COMPONENT, so there can be one such entry)`);
      hostMirror = m;
      if (settings.url?.trim() || settings.dist?.trim()) fail(['mirrors', m, settings.url?.trim() ? 'url' : 'dist'], 'a host_sources mirror takes url and dist from each host source: leave them out');
    }
    if (settings.url?.trim() && !settings.dist?.trim()) fail(['mirrors', m, 'url'], 'a mirror with a url needs its dist too (only a mirror without url takes the host\'s)');
    if (settings.filter !== undefined && settings.filter.trim() !== '') {
      try {
        parseQuery(settings.filter);
      } catch (err) {
        if (err instanceof DebstashError && err.code === 'DEBSTASH_E_QUERY_SYNTAX') {
          fail(['mirrors', m, 'filter'], `the filter does not parse: ${err.message}`, { query: settings.filter, queryColumn: Number(err.details.column) });
        }
        throw err;
      }
    }
    settings.deps_from.forEach((other, i) => {
      if (other === m) fail(['mirrors', m, 'deps_from', i], 'a mirror cannot take dependencies from itself');
      if (!(other in config.mirrors)) fail(['mirrors', m, 'deps_from', i], `"${other}" is not a mirror of this file`);
    });
  }
  for (const r of Object.keys(config.repos)) name('repo', 'repos', r);
  mirrorOrder(config, (cycle) => fail(['mirrors', cycle[0] ?? '', 'deps_from'], `deps_from goes round in a circle: ${cycle.join(' → ')}`));

  const seen = new Map<string, number>();
  config.publishes.forEach((p, i) => {
    p.from.forEach((s, j) => {
      if ('mirror' in s && !(s.mirror in config.mirrors)) fail(['publishes', i, 'from', j, 'mirror'], `"${s.mirror}" is not a mirror of this file (mirrors: ${Object.keys(config.mirrors).join(', ') || 'none'})`);
      if ('repo' in s && !(s.repo in config.repos)) fail(['publishes', i, 'from', j, 'repo'], `"${s.repo}" is not a repo of this file (repos: ${Object.keys(config.repos).join(', ') || 'none'})`);
    });
    if (p.dist.includes('{suite}') && !p.from.some((s) => 'mirror' in s && config.mirrors[s.mirror]?.host_sources === true)) {
      fail(['publishes', i, 'dist'], 'dist "{suite}" needs a host_sources mirror in from (one publish per host suite)');
    }
    const bad = unknownPlaceholders(p.snapshot_name);
    if (bad.length > 0) fail(['publishes', i, 'snapshot_name'], `unknown placeholder {${bad[0]}}: use {publish} {mirror} {repo} {date} {n}`);
    const where = `${normalizePrefix(p.prefix) || '/'} ${p.dist}`;
    const before = seen.get(where);
    if (before !== undefined) fail(['publishes', i, 'dist'], `${where} is published by publishes[${before}] already`);
    seen.set(where, i);
  });
}

/**
 * Mirror names in an order where each comes after those of its deps_from, so creating and
 * updating them in this order always finds what they depend on. `cycle` is told of a loop.
 */
export function mirrorOrder(config: DebstashConfig, cycle: (names: string[]) => never = (names) => {
  throw new Error(`deps_from cycle ${names.join(' → ')}`);
}): string[] {
  const out: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visitMirror = (m: string, trail: string[]): void => {
    if (state.get(m) === 'done') return;
    if (state.get(m) === 'visiting') cycle([...trail.slice(trail.indexOf(m)), m]);
    state.set(m, 'visiting');
    for (const d of config.mirrors[m]?.deps_from ?? []) visitMirror(d, [...trail, m]);
    state.set(m, 'done');
    out.push(m);
  };
  for (const m of Object.keys(config.mirrors)) visitMirror(m, []);
  return out;
}
