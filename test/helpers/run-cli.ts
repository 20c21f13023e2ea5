import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

export interface CliRun {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved as they came. */
  readonly text: string;
  readonly ms: number;
}

export interface CliRunOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** SIGKILL the command's whole process group (its xz helpers too) after this long. */
  readonly killAfterMs?: number;
}

/** Runs bin/debstash.js on `data` as a separate process, the way a user or a cron job does. */
export function runCli(data: string, args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(projectRoot, 'bin/debstash.js'), ...args], {
      env: { ...process.env, DEBSTASH_DATA_DIR: data, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.killAfterMs !== undefined,
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (text += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (text += s));
    const timer =
      options.killAfterMs === undefined
        ? undefined
        : setTimeout(() => {
            try {
              process.kill(-(child.pid ?? 0), 'SIGKILL');
            } catch {
              // it ended by itself meanwhile
            }
          }, options.killAfterMs);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, text, ms: performance.now() - started });
    });
  });
}
