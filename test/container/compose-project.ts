import { join } from 'node:path';
import { mustRun, runTool, type ToolResult } from './run-tool.js';

/** One docker-compose project of the repository's compose.yaml, under its own project name. */
export class ComposeProject {
  constructor(
    readonly name: string,
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private args(args: readonly string[]): string[] {
    return ['-p', this.name, '-f', join(this.root, 'compose.yaml'), '--ansi', 'never', ...args];
  }

  run(args: readonly string[], timeoutMs: number): Promise<ToolResult> {
    return runTool('docker-compose', this.args(args), { env: this.env, cwd: this.root, timeoutMs });
  }

  must(args: readonly string[], timeoutMs: number): Promise<ToolResult> {
    return mustRun('docker-compose', this.args(args), { env: this.env, cwd: this.root, timeoutMs });
  }

  /** `debstash ARGS` inside the running mirror container, as its own (non-root) user. */
  async debstash(args: readonly string[]): Promise<string> {
    return (await this.must(['exec', '-T', 'mirror', 'debstash', ...args], 60_000)).stdout;
  }

  /** The id of a service's (first) container, running or exited. */
  async containerId(service: string): Promise<string> {
    const id = (await this.must(['ps', '-q', service], 30_000)).stdout.trim();
    if (id === '') throw new Error(`compose project ${this.name} has no ${service} container`);
    return id;
  }
}
