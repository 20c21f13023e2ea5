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
 * The deb822 `.sources` stanza a client drops into /etc/apt/sources.list.d/: apt's current
 * way, trusting only this publish's key (no apt-key, no global keyring).
 */
export async function clientConfig(ctx: Context, dist: string, options: ClientConfigOptions): Promise<string> {
  const p = await requirePublish(ctx, options.prefix, dist);
  const components = (await publishedComponents(ctx, p.source.kind, p.source.name, p.component)).join(' ');
  const base = options.url.replace(/\/+$/, '');
  const uri = p.prefix ? `${base}/${p.prefix}` : base;
  let signedBy: string;
  if (options.keyPath !== undefined) {
    signedBy = ` ${options.keyPath}`;
  } else {
    const { armored } = await exportPublicKey(ctx.store, p.keyFingerprint);
    // deb822 folds the key: every line indented, empty lines written as " .".
    signedBy = `\n${armored
      .trim()
      .split('\n')
      .map((line) => (line.trim() === '' ? ' .' : ` ${line}`))
      .join('\n')}`;
  }
  return `Types: deb\nURIs: ${uri}\nSuites: ${p.dist}\nComponents: ${components}\nSigned-By:${signedBy}\n`;
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
