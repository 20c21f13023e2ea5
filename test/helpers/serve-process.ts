import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { projectRoot } from './project-root.js';

/** A `debstash serve` running as a child process on a free 127.0.0.1 port. */
export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Its JSON log lines so far (stderr), and any other stderr text. */
  readonly log: Record<string, unknown>[];
  stderr(): string;
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  /** SIGTERM by pid, SIGKILL after `ms`; resolves once it exited. */
  stop(ms?: number): Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
}

export interface ServeProcessOptions {
  /** Extra arguments of `serve` (e.g. `--workers 2`). */
  readonly args?: readonly string[];
  /** Options for node before the script (e.g. `--import HOOK`). */
  readonly nodeArgs?: readonly string[];
  /** Extra environment variables (e.g. client limits). */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for its "serving" line (default 20 s). */
  readonly startMs?: number;
}

/**
 * Starts `debstash serve --listen 127.0.0.1:PORT [args]` on `dataDir` and resolves once it
 * logged the URL it serves; rejects (with its stderr) when it exits first.
 */
export async function startServeProcess(dataDir: string, options: ServeProcessOptions = {}): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(projectRoot, 'bin/debstash.js'), 'serve', '--listen', `127.0.0.1:${port}`, ...(options.args ?? [])], {
    env: { ...process.env, ...options.env, DEBSTASH_DATA_DIR: dataDir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const log: Record<string, unknown>[] = [];
  let text = '';
  let rest = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => {
    text += s;
    const parts = (rest + s).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) {
      try {
        log.push(JSON.parse(p) as Record<string, unknown>);
      } catch {
        // Not a log line (an error message): kept in stderr().
      }
    }
  });
  const stop = async (ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    const r = await exited;
    clearTimeout(timer);
    return r;
  };
  const deadline = Date.now() + (options.startMs ?? 20_000);
  for (;;) {
    const line = log.find((l) => typeof l.url === 'string' && typeof l.msg === 'string' && l.msg.startsWith('serving'));
    if (line !== undefined) return { child, url: line.url as string, log, stderr: () => text, exited, stop };
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`serve exited (${child.exitCode ?? child.signalCode}) before serving:\n${text}`);
    if (Date.now() > deadline) {
      await stop(0);
      throw new Error(`serve did not start within ${options.startMs ?? 20_000} ms:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether a process with this pid runs (signal 0 probes without sending anything). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
