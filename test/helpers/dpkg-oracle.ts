/**
 * dpkg itself as a test oracle: compiles test/helpers/dpkg-vercmp.c against libdpkg (Debian
 * package libdpkg-dev) and reads versions from the machine's APT lists. Everything here says
 * "skip" rather than failing when the machine lacks the tools, so the suite still runs elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type ParseStatus = 'ok' | 'warn' | 'err';

export interface OracleResult {
  /** dpkg_version_compare's sign, or undefined when either side is an error. */
  readonly cmp: -1 | 0 | 1 | undefined;
  readonly a: ParseStatus;
  readonly b: ParseStatus;
}

export interface Skip {
  readonly skip: string;
}

export interface DpkgVercmp {
  readonly binary: string;
  compare(pairs: readonly (readonly [string, string])[]): OracleResult[];
  cleanup(): void;
}

const APT_LISTS = '/var/lib/apt/lists';
const APT_HELPER = '/usr/lib/apt/apt-helper';

function sourcePath(): string | undefined {
  // The test runs from dist/test/helpers/ (compiled) or test/helpers/ (through a TS loader).
  for (const rel of ['../../../test/helpers/dpkg-vercmp.c', './dpkg-vercmp.c']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

function run(cmd: string, args: readonly string[], input?: string): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.error ? String(r.error) : (r.stderr ?? '') };
}

/** Compiles the libdpkg comparison helper into a fresh temporary directory. */
export function buildDpkgVercmp(): DpkgVercmp | Skip {
  const src = sourcePath();
  if (!src) return { skip: 'test/helpers/dpkg-vercmp.c not found' };
  if (!run('gcc', ['--version']).ok) return { skip: 'gcc is not installed (apt-get install gcc)' };
  const flags = run('pkg-config', ['--cflags', '--libs', 'libdpkg']);
  if (!flags.ok) return { skip: 'libdpkg is not installed (apt-get install pkg-config libdpkg-dev)' };
  const dir = mkdtempSync(join(tmpdir(), 'debstash-dpkg-vercmp-'));
  const binary = join(dir, 'dpkg-vercmp');
  const cc = run('gcc', ['-O2', '-o', binary, src, ...flags.stdout.trim().split(/\s+/)]);
  if (!cc.ok) {
    rmSync(dir, { recursive: true, force: true });
    // libdpkg is there but the helper does not build: that is a bug to see, not a skip.
    throw new Error(`compiling ${src} failed:\n${cc.stderr}`);
  }
  return {
    binary,
    compare(pairs) {
      const input: string[] = [];
      for (const [a, b] of pairs) {
        if (/[\t\n]/.test(a + b)) throw new Error(`pair ${JSON.stringify([a, b])} contains a tab or newline`);
        input.push(`${a}\t${b}\n`);
      }
      const r = run(binary, [], input.join(''));
      if (!r.ok) throw new Error(`dpkg-vercmp failed: ${r.stderr}`);
      const lines = r.stdout.split('\n');
      return pairs.map((_, i) => {
        const [c, a, b] = lines[i].split(' ');
        return { cmp: c === 'x' ? undefined : (Number(c) as -1 | 0 | 1), a: a as ParseStatus, b: b as ParseStatus };
      });
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface AptVersions {
  readonly files: readonly string[];
  /** Distinct Version values and versions from relation constraints, in first-seen order. */
  readonly versions: readonly string[];
  /** Every Version value per package name (several when lists hold several suites). */
  readonly byPackage: ReadonlyMap<string, readonly string[]>;
}

/** Reads every binary Packages list APT has downloaded on this machine. */
export function readAptListVersions(): AptVersions | Skip {
  if (!existsSync(APT_HELPER)) return { skip: `${APT_HELPER} not found (not a Debian machine?)` };
  if (!existsSync(APT_LISTS)) return { skip: `${APT_LISTS} not found` };
  const files = readdirSync(APT_LISTS)
    .filter((f) => /_Packages(\.(lz4|gz|xz|bz2|zst))?$/.test(f))
    .sort()
    .map((f) => join(APT_LISTS, f));
  if (files.length === 0) return { skip: `no Packages lists in ${APT_LISTS} (run apt-get update)` };
  const seen = new Set<string>();
  const versions: string[] = [];
  const byPackage = new Map<string, string[]>();
  const add = (v: string): void => {
    if (!seen.has(v)) {
      seen.add(v);
      versions.push(v);
    }
  };
  const constraint = /\((?:<<|<=|>=|>>|=|<|>)\s*([^\s)]+)\s*\)/g;
  for (const file of files) {
    const r = run(APT_HELPER, ['cat-file', file]);
    if (!r.ok) return { skip: `apt-helper cat-file ${file} failed: ${r.stderr.trim()}` };
    let pkg = '';
    for (const line of r.stdout.split('\n')) {
      if (line.startsWith('Package: ')) {
        pkg = line.slice(9).trim();
      } else if (line.startsWith('Version: ')) {
        const v = line.slice(9).trim();
        add(v);
        const list = byPackage.get(pkg);
        if (list) list.push(v);
        else byPackage.set(pkg, [v]);
      } else if (/^(Depends|Pre-Depends|Recommends|Suggests|Breaks|Conflicts|Provides|Replaces|Enhances):/.test(line)) {
        for (const m of line.matchAll(constraint)) add(m[1]);
      }
    }
  }
  if (versions.length < 2) return { skip: `too few versions in ${files.join(', ')}` };
  return { files, versions, byPackage };
}
