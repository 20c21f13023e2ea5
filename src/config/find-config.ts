import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configSchema, type DebstashConfig } from './config-schema.js';
import { embeddedDefaultConfig } from './embedded-default.js';
import { expandHostSources } from './expand-host-sources.js';
import { parse as parseYaml } from 'yaml';
import { loadConfig, parseConfigText } from './load-config.js';
import { normalizePublicUrl } from '../publish/snapshots-template.js';

export interface FoundConfig {
  readonly config: DebstashConfig;
  /** Which one it is, for the user: a path, or "the built-in default". */
  readonly origin: string;
  readonly file?: string;
}

/** The config file in effect: `explicit`, else ./debstash.yaml if present; undefined for the embedded default. */
async function configFile(explicit: string | undefined, cwd: string | undefined): Promise<string | undefined> {
  if (explicit !== undefined) return explicit;
  const local = resolve(cwd ?? process.cwd(), 'debstash.yaml');
  return (await access(local).then(() => true, () => false)) ? local : undefined;
}

/**
 * The configuration to use: `--config FILE` / DEBSTASH_CONFIG (given as `explicit`), else
 * ./debstash.yaml if present, else the embedded default. A `host_sources` mirror is expanded
 * here into the mirrors and publishes of the host's suites.
 */
export async function findConfig(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<FoundConfig> {
  const env = options.env ?? process.env;
  const file = await configFile(explicit, options.cwd);
  if (file !== undefined) return { config: await expandHostSources(await loadConfig(file, { env })), origin: file, file };
  return { config: await embeddedDefaultConfig(), origin: 'the built-in default (no --config, DEBSTASH_CONFIG or ./debstash.yaml)' };
}

/**
 * The `server:` settings of the config in effect (listen, public_url...). The embedded default
 * is not built for them: that reads the host's apt sources, which a question about the
 * address has no need of.
 */
export async function configuredServer(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<DebstashConfig['server']> {
  const file = await configFile(explicit, options.cwd);
  return (file !== undefined ? await loadConfig(file, { env: options.env ?? process.env }) : configSchema.parse({})).server;
}

/**
 * The URL clients reach the server at, as the user set it: `server.public_url` of the config,
 * else DEBSTASH_PUBLIC_URL (empty counts as unset); normalized, undefined when neither is set.
 */
export function configuredPublicUrl(server: DebstashConfig['server'], env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (server.public_url) return normalizePublicUrl(server.public_url, 'server.public_url');
  const fromEnv = env['DEBSTASH_PUBLIC_URL'];
  return fromEnv ? normalizePublicUrl(fromEnv, 'DEBSTASH_PUBLIC_URL') : undefined;
}

/** The backends a config file names; a key is absent when its environment variable decides instead or the file names none. */
export interface ConfiguredBackends {
  readonly database?: string;
  readonly storage?: string;
}

/**
 * `database:` and `storage:` of the config file in effect, for every command, so the CLI opens
 * what `up` opens. The embedded default names neither, so with no file nothing is read or built.
 * A backend whose variable (DEBSTASH_DATABASE_URL, DEBSTASH_STORAGE_URL) is set is left out:
 * the variable wins without the file being consulted for it.
 */
export async function configuredBackends(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ConfiguredBackends> {
  const env = options.env ?? process.env;
  const fromEnv = (name: string): boolean => (env[name] ?? '').trim() !== '';
  const wanted = (['database', 'storage'] as const).filter((key) => !fromEnv(key === 'database' ? 'DEBSTASH_DATABASE_URL' : 'DEBSTASH_STORAGE_URL'));
  if (wanted.length === 0) return {};
  const file = await configFile(explicit, options.cwd);
  if (file === undefined) return {};
  // Every command asks this. A file naming neither backend is not validated here: `repo list`
  // beside a debstash.yaml whose token reads an unset ${VARIABLE} must not fail for it. A file
  // that names one is validated whole, so a broken one stops the command rather than letting it
  // put packages or records in the wrong place. What cannot be read, loadConfig reports.
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return pick(await loadConfig(file, { env }), wanted);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch {
    doc = undefined;
  }
  const names = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? wanted.filter((key) => key in doc) : wanted;
  if (names.length === 0) return {};
  return pick(parseConfigText(text, file, { env }), wanted);
}

function pick(config: DebstashConfig, keys: readonly ('database' | 'storage')[]): ConfiguredBackends {
  return Object.fromEntries(keys.flatMap((key) => (config[key] !== undefined ? [[key, config[key]]] : []))) as ConfiguredBackends;
}
