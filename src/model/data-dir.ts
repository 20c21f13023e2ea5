import { homedir } from 'node:os';
import { join } from 'node:path';

/** `--data-dir`, else DEBSTASH_DATA_DIR, else the XDG data home: one rule for CLI, server and tests. */
export function resolveDataDir(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit !== undefined && explicit !== '') return explicit;
  if (env.DEBSTASH_DATA_DIR) return env.DEBSTASH_DATA_DIR;
  const xdg = env.XDG_DATA_HOME;
  return join(xdg ? xdg : join(homedir(), '.local', 'share'), 'debstash');
}
