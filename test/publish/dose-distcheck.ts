import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What `dose-distcheck` (someone else's installability checker) finds broken in these Packages
 * files: the distinct package names, sorted, and its report; undefined when it is not installed.
 */
export async function doseBroken(packagesFiles: readonly string[], arch: { native: string; foreign: readonly string[] }): Promise<{ broken: string[]; report: string } | undefined> {
  const args = [`--deb-native-arch=${arch.native}`, ...(arch.foreign.length > 0 ? [`--deb-foreign-archs=${arch.foreign.join(',')}`] : []), '-f', '-e', ...packagesFiles.map((f) => `deb://${f}`)];
  let report: string;
  try {
    // It exits 1 when it finds broken packages: its report is still on stdout.
    report = (await run('dose-distcheck', args).catch((e: NodeJS.ErrnoException & { stdout?: string }) => (e.code === 'ENOENT' ? Promise.reject(e) : { stdout: e.stdout ?? '' }))).stdout;
  } catch {
    return undefined;
  }
  // Each report item starts "  package: NAME" (the reasons repeat it deeper indented).
  const broken = [...new Set([...report.matchAll(/^ {2}package: (\S+)$/gm)].map((m) => m[1] as string))].sort();
  return { broken, report };
}
