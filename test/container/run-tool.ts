import { spawn } from 'node:child_process';

export interface ToolResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ToolOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The tool is killed after this long and the call rejects: no step of the test hangs. */
  readonly timeoutMs: number;
  /** Bytes written to the tool's stdin (else stdin is closed at once). */
  readonly input?: NodeJS.ReadableStream;
}

/** Runs a program to its end and returns its exit code and output, whatever the code. */
export function runTool(command: string, args: readonly string[], options: ToolOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: [options.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    if (options.input && child.stdin) options.input.pipe(child.stdin);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')}: no end after ${options.timeoutMs / 1000} s, killed`));
    }, options.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** runTool that rejects, with the tool's output, unless it exits 0. */
export async function mustRun(command: string, args: readonly string[], options: ToolOptions): Promise<ToolResult> {
  const r = await runTool(command, args, options);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${String(r.code)}\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
  return r;
}
