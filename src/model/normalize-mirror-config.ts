import { parseQuery } from '../query/parse-query.js';
import { DebstashError } from '../errors/debstash-error.js';
import type { DeferredPolicy, MirrorConfig } from '../store/records.js';
import type { MirrorConfigInput } from './mirror-config.js';

const WORD = /^[a-z0-9][a-z0-9.+/-]*$/;

function usage(message: string, field: string): DebstashError {
  return new DebstashError('DEBSTASH_E_USAGE', message, { field });
}

function list(values: readonly string[] | undefined, fallback: readonly string[], field: string): string[] {
  const out = [...new Set((values ?? fallback).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== ''))];
  if (out.length === 0) throw usage(`${field}: at least one is needed`, field);
  for (const v of out) if (!WORD.test(v)) throw usage(`${field}: ${JSON.stringify(v)} is not a valid name`, field);
  return out;
}

const DEFERRED: readonly string[] = ['on-demand', 'cache-on-serve'];

function checkPolicy(policy: string): DeferredPolicy {
  if (!DEFERRED.includes(policy)) throw usage(`policy ${JSON.stringify(policy)} is not one of immediate, on-demand, cache-on-serve`, 'policy');
  return policy as DeferredPolicy;
}

/**
 * Checks a mirror definition and fills in defaults, so what is stored is complete and valid.
 * The filter is parsed here so a syntax error surfaces (with its column) at create time,
 * not at the first update.
 */
export function normalizeMirrorConfig(input: MirrorConfigInput, defaults: { readonly architectures: readonly string[]; readonly keyrings: readonly string[] }): MirrorConfig {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw usage(`URL ${JSON.stringify(input.url)} is not a valid URL`, 'url');
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) throw usage(`URL scheme ${url.protocol} is not supported (http, https, file)`, 'url');
  const dist = input.dist.trim();
  if (dist === '' || dist.includes('..') || /\s/.test(dist)) throw usage(`distribution ${JSON.stringify(input.dist)} is not valid`, 'dist');
  const filter = input.filter?.trim();
  if (filter !== undefined && filter !== '') parseQuery(filter);
  return {
    url: url.href.replace(/\/+$/, ''),
    dist,
    components: list(input.components, ['main'], 'components'),
    architectures: list(input.architectures, defaults.architectures, 'architectures'),
    ...(filter ? { filter } : {}),
    withDeps: input.withDeps ?? false,
    withRecommends: input.withRecommends ?? false,
    withSources: input.withSources ?? false,
    withUdebs: input.withUdebs ?? false,
    keyrings: [...(input.keyrings ?? defaults.keyrings)],
    depsFrom: [...new Set(input.depsFrom ?? [])],
    ...(input.updateDepsFrom === true ? { updateDepsFrom: true } : {}),
    ...(input.policy !== undefined && input.policy !== 'immediate' ? { policy: checkPolicy(input.policy) } : {}),
  };
}
