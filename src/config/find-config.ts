import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DebstashConfig } from './config-schema.js';
import { embeddedDefaultConfig } from './embedded-default.js';
import { loadConfig } from './load-config.js';

export interface FoundConfig {
  readonly config: DebstashConfig;
  /** Which one it is, for the user: a path, or "the built-in default". */
  readonly origin: string;
  readonly file?: string;
}

/**
 * The configuration to use: `--config FILE` / DEBSTASH_CONFIG (given as `explicit`), else
 * ./debstash.yaml if present, else the embedded default.
 */
export async function findConfig(explicit: string | undefined, options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<FoundConfig> {
  const env = options.env ?? process.env;
  if (explicit !== undefined) return { config: await loadConfig(explicit, { env }), origin: explicit, file: explicit };
  const local = resolve(options.cwd ?? process.cwd(), 'debstash.yaml');
  if (await access(local).then(() => true, () => false)) return { config: await loadConfig(local, { env }), origin: local, file: local };
  return { config: await embeddedDefaultConfig(), origin: 'the built-in default (no --config, DEBSTASH_CONFIG or ./debstash.yaml)' };
}
