import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

/** A running `debstash up`: its output so far, and a way to wait for a line of it. */
export interface Up {
  readonly child: ChildProcessWithoutNullStreams;
  readonly started: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the match once stderr matches; rejects if the process exits first. */
  until(pattern: RegExp): Promise<RegExpExecArray>;
  /** The exit code, once it exits by itself. */
  exited(): Promise<number | null>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/** Runs in `cwd` (a temporary dir): a debstash.yaml in the checkout must not be picked up. */
export function startUp(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string): Up {
  const started = performance.now();
  const child = spawn(process.execPath, [join(projectRoot, 'bin/debstash.js'), ...args], { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  return {
    child,
    started,
    stdout: () => stdout,
    stderr: () => stderr,
    until: (pattern) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const m = pattern.exec(stderr);
          if (m) {
            child.stderr.off('data', check);
            resolve(m);
          }
        };
        child.stderr.on('data', check);
        check();
        void exited.then((code) => reject(new Error(`debstash up exited ${code} before ${pattern}: ${stderr.slice(-2000)}`)));
      }),
    exited: () => exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The line of `up` that names where it serves; [1] is the URL. */
export const SERVING = /serving (http:\/\/127\.0\.0\.1:\d+)\//;
