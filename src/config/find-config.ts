import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configSchema, type DebstashConfig } from './config-schema.js';
import { embeddedDefaultConfig } from './embedded-default.js';
import { expandHostSources } from './expand-host-sources.js';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from './load-config.js';

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
 * `storage:` of the config file in effect, if any. The embedded default has none, so with no
 * file nothing is read or built.
 */
export async function configuredStorage(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  if ((env['DEBSTASH_STORAGE_URL'] ?? '').trim() !== '') return undefined;
  const file = await configFile(explicit, options.cwd);
  if (file === undefined) return undefined;
  // Every command asks this. A file without `storage:` is not validated here: `repo list` beside
  // a debstash.yaml whose token reads an unset ${VARIABLE} must not fail for it. A file that
  // does name a storage is loaded whole, so a broken one stops the command rather than letting
  // it put packages in the wrong place. What cannot be read or parsed, loadConfig reports.
  const text = await readFile(file, 'utf8').catch(() => undefined);
  let doc: unknown;
  try {
    doc = text === undefined ? undefined : parseYaml(text);
  } catch {
    doc = undefined;
  }
  if (doc !== null && typeof doc === 'object' && !Array.isArray(doc) && !('storage' in doc)) return undefined;
  return (await loadConfig(file, { env })).storage;
}
