import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one run of a command cost, as GNU time reports it for the whole process tree it waited on. */
export interface Measurement {
  readonly wallS: number;
  readonly cpuS: number;
  readonly maxRssMB: number;
  readonly stdout: string;
}

const GNU_TIME = '/usr/bin/time';

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

/** Runs a command under GNU time; rejects with its stderr when it fails. */
export async function measure(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-bench-'));
  const out = join(dir, 'time');
  try {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('measure: empty command');
    const child = spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', out, cmd, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
    const fields = (await readFile(out, 'utf8')).trim().split('\n').pop()?.split(' ').map(Number) ?? [];
    const [wall = NaN, user = NaN, sys = NaN, rssKB = NaN] = fields;
    return { wallS: wall, cpuS: user + sys, maxRssMB: rssKB / 1024, stdout };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The run with the median wall time: robust against one slow outlier on a shared machine. */
export function median(runs: readonly Measurement[]): Measurement {
  const sorted = [...runs].sort((a, b) => a.wallS - b.wallS);
  const mid = sorted[Math.floor(sorted.length / 2)];
  if (mid === undefined) throw new Error('median of no runs');
  return mid;
}
