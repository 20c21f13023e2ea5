import { hostname } from 'node:os';
import { exportPublicKey } from '../keys/key-store.js';
import type { Context } from './context.js';
import { requirePublish } from './require-publish.js';

export interface ClientConfigOptions {
  readonly prefix?: string;
  /** Base URL clients reach the server at, e.g. http://mirror.internal:8080. */
  readonly url: string;
  /** Write `Signed-By: PATH` instead of embedding the key (the key is then installed there). */
  readonly keyPath?: string;
}

/**
 * The deb822 `.sources` a client drops into /etc/apt/sources.list.d/: apt's current way,
 * trusting only the publishes' key (no apt-key, no global keyring). Several dists under one
 * prefix share the URI, so they are one stanza (`Suites: bookworm bookworm-updates …`) when
 * they also share components and key, as deb822 requires of the suites of one stanza;
 * otherwise each group of alike ones gets its own stanza.
 */
export async function clientConfig(ctx: Context, dist: string | readonly string[], options: ClientConfigOptions): Promise<string> {
  const base = options.url.replace(/\/+$/, '');
  const stanzas = new Map<string, { suites: string[]; uri: string; components: string; fingerprint: string }>();
  for (const d of typeof dist === 'string' ? [dist] : dist) {
    const p = await requirePublish(ctx, options.prefix, d);
    const components = (await publishedComponents(ctx, p.source.kind, p.source.name, p.component)).join(' ');
    const uri = p.prefix ? `${base}/${p.prefix}` : base;
    const key = JSON.stringify([uri, components, p.keyFingerprint]);
    const alike = stanzas.get(key);
    if (alike !== undefined) alike.suites.push(p.dist);
    else stanzas.set(key, { suites: [p.dist], uri, components, fingerprint: p.keyFingerprint });
  }
  const out: string[] = [];
  for (const s of stanzas.values()) {
    out.push(`Types: deb\nURIs: ${s.uri}\nSuites: ${s.suites.join(' ')}\nComponents: ${s.components}\nSigned-By:${await signedByField(ctx, s.fingerprint, options.keyPath)}\n`);
  }
  return out.join('\n');
}

async function signedByField(ctx: Context, fingerprint: string, keyPath: string | undefined): Promise<string> {
  if (keyPath !== undefined) return ` ${keyPath}`;
  const { armored } = await exportPublicKey(ctx.store, fingerprint);
  // deb822 folds the key: every line indented, empty lines written as " .".
  return `\n${armored
    .trim()
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line}`))
    .join('\n')}`;
}

async function publishedComponents(ctx: Context, kind: 'snapshot' | 'repo', name: string, override: string | undefined): Promise<string[]> {
  if (override !== undefined) return [override];
  const packages = kind === 'snapshot' ? await ctx.store.snapshotPackages(name) : await ctx.store.repoPackages(name);
  return [...new Set(packages.map((p) => p.component))].sort();
}

/**
 * The base URL clients reach a server at that listens on `host:port`. A wildcard address
 * (0.0.0.0, ::) is no address a client can use: this machine's host name stands in for it,
 * with a note saying so, since only the user knows the name clients resolve.
 */
export function clientBaseUrl(host: string, port: number): { readonly url: string; readonly note?: string } {
  if (host === '0.0.0.0' || host === '::' || host === '') {
    const name = hostname();
    return { url: `http://${name}:${port}`, note: `listening on every address (${host.includes(':') ? `[${host}]` : host}): clients are told this machine's name ${name}; pass --url if they reach it by another` };
  }
  return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}` };
}
