import { clientConfig } from '../model/client-config.js';
import type { Context } from '../model/context.js';
import { normalizePrefix } from '../model/require-publish.js';
import type { DebstashConfig } from './config-schema.js';

/**
 * The deb822 .sources of every configured publish that exists, as a client needs them, with
 * where the server offers them (`/client/[PREFIX/]A,B,C.sources`): the publishes of one prefix
 * in one stanza where deb822 allows it, so the host's suites read
 * `Suites: bookworm bookworm-updates bookworm-security`.
 */
export async function configuredClientSources(ctx: Context, config: DebstashConfig, url: string): Promise<{ text: string; urls: string[] }> {
  const byPrefix = new Map<string, string[]>();
  const urls: string[] = [];
  for (const p of config.publishes) {
    const prefix = normalizePrefix(p.prefix);
    if ((await ctx.store.getPublish(prefix, p.dist)) === undefined) continue;
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), p.dist]);
  }
  const out: string[] = [];
  for (const [prefix, dists] of byPrefix) {
    out.push(await clientConfig(ctx, dists, { url, ...(prefix ? { prefix } : {}) }));
    urls.push(`${url}/client/${prefix ? `${prefix}/` : ''}${dists.join(',')}.sources`);
  }
  return { text: out.join('\n'), urls };
}
