/**
 * The peak resident memory of a child process, measured by the child itself: loaded with
 * `node --import THIS_FILE`, and with DEBSTASH_TEST_PEAK_RSS_FILE set, it writes its VmHWM
 * (from /proc/self/status, in bytes) to that file as it exits. Polling /proc/PID from the
 * parent would miss the last moments before exit. Without the variable (as when node --test
 * runs this file) it does nothing.
 *
 *   const { args, env, read } = peakRssProbe(file);
 *   spawn(process.execPath, [...args, bin, ...], { env: { ...process.env, ...env } });
 *   ... after it exited: await read() → bytes, or undefined if it died before exiting
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const VARIABLE = 'DEBSTASH_TEST_PEAK_RSS_FILE';

function vmHwmBytes(): number | undefined {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m === null ? undefined : Number(m[1]) * 1024;
}

const target = process.env[VARIABLE];
if (target !== undefined && target !== '') {
  process.on('exit', () => {
    const peak = vmHwmBytes();
    if (peak !== undefined) writeFileSync(target, String(peak));
  });
}

/** Node arguments and environment that make a child report its peak RSS into `file`. */
export function peakRssProbe(file: string): { args: string[]; env: Record<string, string>; read(): Promise<number | undefined> } {
  return {
    args: ['--import', fileURLToPath(import.meta.url)],
    env: { [VARIABLE]: file },
    read: async () => {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      return text === undefined ? undefined : Number(text);
    },
  };
}
