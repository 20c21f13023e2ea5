import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { configSchema, type DebstashConfig } from './config-schema.js';
import { embeddedDefaultConfig } from './embedded-default.js';
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
 * ./debstash.yaml if present, else the embedded default.
 */
export async function findConfig(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<FoundConfig> {
  const env = options.env ?? process.env;
  const file = await configFile(explicit, options.cwd);
  if (file !== undefined) return { config: await loadConfig(file, { env }), origin: file, file };
  return { config: await embeddedDefaultConfig(), origin: 'the built-in default (no --config, DEBSTASH_CONFIG or ./debstash.yaml)' };
}

/**
 * server.listen of the config in effect. The embedded default is not built for it: that reads
 * the host's apt sources, which a question about the address has no need of.
 */
export async function configuredListen(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  const file = await configFile(explicit, options.cwd);
  return (file !== undefined ? await loadConfig(file, { env: options.env ?? process.env }) : configSchema.parse({})).server.listen;
}

/**
 * `storage:` of the config file in effect, if any. The embedded default has none, so with no
 * file nothing is read or built.
 */
export async function configuredStorage(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string | undefined> {
  const env = options.env ?? process.env;
  if ((env['DEBSTASH_STORAGE_URL'] ?? '').trim() !== '') return undefined;
  const file = await configFile(explicit, options.cwd);
  return file !== undefined ? (await loadConfig(file, { env })).storage : undefined;
}
