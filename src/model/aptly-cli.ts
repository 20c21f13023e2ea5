import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DebstashError } from '../errors/debstash-error.js';

/** aptly's output for a whole installation can be large (every stanza of every package). */
const MAX_OUTPUT = 1 << 30;

/** The aptly.conf `aptly` itself would read: the given one, else ~/.aptly.conf, else /etc/aptly.conf. */
export function aptlyConfigPath(given: string | undefined): string {
  if (given !== undefined) return given;
  const candidates = [join(homedir(), '.aptly.conf'), '/etc/aptly.conf'];
  for (const c of candidates) {
    try {
      readFileSync(c);
      return c;
    } catch {
      // the next place aptly looks
    }
  }
  // Without a config aptly would write a fresh ~/.aptly.conf and show an empty installation.
  throw new DebstashError('DEBSTASH_E_APTLY_CONFIG', `no aptly configuration: neither ${candidates.join(' nor ')} exists; give it with --config`, { path: candidates[0] });
}

/** Reads the config as JSON first: aptly would report a bad one only as the failure of the first command. */
export function checkAptlyConfig(path: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DebstashError('DEBSTASH_E_APTLY_CONFIG', `cannot read aptly configuration ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { path }, { cause: err });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
  } catch (err) {
    throw new DebstashError('DEBSTASH_E_APTLY_CONFIG', `aptly configuration ${path} is not a JSON object: ${(err as Error).message}`, { path }, { cause: err });
  }
}

/** Runs `aptly -config=CONFIG ARGS...` and resolves with its stdout. */
export function runAptly(config: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('aptly', [`-config=${config}`, ...args], { maxBuffer: MAX_OUTPUT, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err === null) return resolve(stdout);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new DebstashError('DEBSTASH_E_APTLY_NOT_INSTALLED', 'the "aptly" command was not found on PATH', {}, { cause: err }));
      }
      const said = `${stderr}${stdout}`.trim().split('\n').filter((l) => l.startsWith('ERROR')).join('; ') || `${stderr}`.trim().slice(0, 500);
      reject(new DebstashError('DEBSTASH_E_APTLY_READ', `aptly ${args.join(' ')} failed: ${said}`, { command: `aptly ${args.join(' ')}` }, { cause: err }));
    });
  });
}

/** Runs an aptly command whose output is `-json`. */
export async function aptlyJson(config: string, args: readonly string[]): Promise<unknown> {
  const out = await runAptly(config, [...args]);
  try {
    return JSON.parse(out) as unknown;
  } catch (err) {
    throw new DebstashError('DEBSTASH_E_APTLY_READ', `aptly ${args.join(' ')} did not print JSON (is it aptly 1.5 or later?)`, { command: `aptly ${args.join(' ')}` }, { cause: err });
  }
}
