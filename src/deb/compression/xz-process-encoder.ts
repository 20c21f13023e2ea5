import { spawn } from 'node:child_process';

/**
 * `xz` run once over `data`: one stream of one block (a single-threaded encoder writes one
 * block), or with `blockSizes` one block per that many bytes, each encoded from a fresh state
 * exactly as it would be alone (tested); CRC64 checks, LZMA2 at `preset` with a dictionary of
 * `dictSize` bytes. With the same
 * options liblzma in this process writes the same bytes (tested), so which one a publish used
 * does not show in its output. The program is the default because lzma-native's bundled
 * liblzma 5.2.3 takes about twice the CPU time of the system's for the same output
 * (docs/publish.md, "Compression"), and because it runs on a core of its own.
 */
export function xzEncodeByProgram(data: Uint8Array, preset: number, dictSize: number, blockSizes?: readonly number[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // XZ_OPT and XZ_DEFAULTS could change the options (threads, block size) and so the bytes.
    const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C' };
    delete env.XZ_OPT;
    delete env.XZ_DEFAULTS;
    const args = ['--compress', '--stdout', '--format=xz', '--check=crc64', '--threads=1', `--lzma2=preset=${preset},dict=${dictSize}`];
    if (blockSizes !== undefined) args.push(`--block-list=${blockSizes.join(',')}`);
    const child = spawn('xz', args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env,
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      if (stderr.length < 4096) stderr += s;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else reject(new Error(`xz exited with status ${code}: ${stderr.trim()}`));
    });
    // EPIPE if xz died early: its exit status says why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(data);
  });
}
