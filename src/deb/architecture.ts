/**
 * Debian architecture names and wildcards (`linux-any`, `any-amd64`, `any`), matched the way
 * dpkg's Dpkg::Arch does (debarch_is): every architecture is a tuple abi-libc-os-cpu, and a
 * wildcard is a tuple with `any` in some positions.
 */

/** A Debian architecture as dpkg's tupletable describes it. */
export interface ArchTuple {
  readonly abi: string;
  readonly libc: string;
  readonly os: string;
  readonly cpu: string;
}

// dpkg's cputable, first column, in dpkg's order (the order decides which <cpu> expansion wins).
const CPUS = [
  'alpha', 'amd64', 'arc', 'armeb', 'arm', 'arm64', 'avr32', 'hppa', 'loong64', 'i386', 'ia64',
  'm32r', 'm68k', 'mips', 'mipsel', 'mipsr6', 'mipsr6el', 'mips64', 'mips64el', 'mips64r6',
  'mips64r6el', 'nios2', 'or1k', 'powerpc', 'powerpcel', 'ppc64', 'ppc64el', 'riscv64', 's390',
  's390x', 'sh3', 'sh3eb', 'sh4', 'sh4eb', 'sparc', 'sparc64', 'tilegx',
] as const;

// dpkg's tupletable (debtuple, Debian architecture), in dpkg's order.
const TUPLE_TABLE: readonly (readonly [string, string])[] = [
  ['eabi-uclibc-linux-arm', 'uclibc-linux-armel'],
  ['base-uclibc-linux-<cpu>', 'uclibc-linux-<cpu>'],
  ['eabihf-musl-linux-arm', 'musl-linux-armhf'],
  ['base-musl-linux-<cpu>', 'musl-linux-<cpu>'],
  ['ilp32-gnu-linux-arm64', 'arm64ilp32'],
  ['eabihf-gnu-linux-arm', 'armhf'],
  ['eabi-gnu-linux-arm', 'armel'],
  ['abin32-gnu-linux-mips64r6el', 'mipsn32r6el'],
  ['abin32-gnu-linux-mips64r6', 'mipsn32r6'],
  ['abin32-gnu-linux-mips64el', 'mipsn32el'],
  ['abin32-gnu-linux-mips64', 'mipsn32'],
  ['abi64-gnu-linux-mips64r6el', 'mips64r6el'],
  ['abi64-gnu-linux-mips64r6', 'mips64r6'],
  ['abi64-gnu-linux-mips64el', 'mips64el'],
  ['abi64-gnu-linux-mips64', 'mips64'],
  ['spe-gnu-linux-powerpc', 'powerpcspe'],
  ['x32-gnu-linux-amd64', 'x32'],
  ['base-gnu-linux-<cpu>', '<cpu>'],
  ['eabihf-gnu-kfreebsd-arm', 'kfreebsd-armhf'],
  ['base-gnu-kfreebsd-<cpu>', 'kfreebsd-<cpu>'],
  ['base-gnu-knetbsd-<cpu>', 'knetbsd-<cpu>'],
  ['base-gnu-kopensolaris-<cpu>', 'kopensolaris-<cpu>'],
  ['base-gnu-hurd-<cpu>', 'hurd-<cpu>'],
  ['base-bsd-dragonflybsd-<cpu>', 'dragonflybsd-<cpu>'],
  ['base-bsd-freebsd-<cpu>', 'freebsd-<cpu>'],
  ['base-bsd-openbsd-<cpu>', 'openbsd-<cpu>'],
  ['base-bsd-netbsd-<cpu>', 'netbsd-<cpu>'],
  ['base-bsd-darwin-<cpu>', 'darwin-<cpu>'],
  ['base-sysv-aix-<cpu>', 'aix-<cpu>'],
  ['base-sysv-solaris-<cpu>', 'solaris-<cpu>'],
  ['eabi-uclibc-uclinux-arm', 'uclinux-armel'],
  ['base-uclibc-uclinux-<cpu>', 'uclinux-<cpu>'],
  ['base-tos-mint-m68k', 'mint-m68k'],
];

function toTuple(debtuple: string): ArchTuple {
  const [abi, libc, os, cpu] = debtuple.split('-');
  return { abi, libc, os, cpu };
}

let archToTuple: Map<string, ArchTuple> | undefined;

function tuples(): Map<string, ArchTuple> {
  if (archToTuple) return archToTuple;
  const byArch = new Map<string, ArchTuple>();
  const seenTuples = new Set<string>();
  for (const [debtuple, debarch] of TUPLE_TABLE) {
    if (debtuple.includes('<cpu>')) {
      for (const cpu of CPUS) {
        const t = debtuple.replace('<cpu>', cpu);
        const a = debarch.replace('<cpu>', cpu);
        // Like Dpkg::Arch, the first line that yields a name or a tuple keeps it.
        if (byArch.has(a) || seenTuples.has(t)) continue;
        byArch.set(a, toTuple(t));
        seenTuples.add(t);
      }
    } else {
      byArch.set(debarch, toTuple(debtuple));
      seenTuples.add(debtuple);
    }
  }
  archToTuple = byArch;
  return byArch;
}

/**
 * The tuple of a concrete architecture name, or undefined when dpkg does not know it (including
 * `all`, `any` and `source`). `linux-amd64` is accepted as another spelling of `amd64`.
 */
export function archTuple(arch: string): ArchTuple | undefined {
  const name = arch.toLowerCase();
  const linux = /^linux-([^-]*)/.exec(name);
  return tuples().get(linux ? linux[1] : name);
}

function wildcardTuple(pattern: string): ArchTuple | undefined {
  const parts = pattern.split('-');
  if (!parts.includes('any')) return archTuple(pattern);
  if (parts.length > 4) return undefined;
  // Missing leading parts are wildcards: `linux-any` is any-any-linux-any.
  const full = [...Array<string>(4 - parts.length).fill('any'), ...parts];
  return { abi: full[0], libc: full[1], os: full[2], cpu: full[3] };
}

/**
 * Whether the concrete architecture `arch` is matched by `pattern`, which is an architecture
 * name or a wildcard such as `any`, `linux-any`, `any-amd64`, `musl-any-any` (Dpkg::Arch's
 * debarch_is). Comparison ignores case, as dpkg lowercases architecture restrictions.
 */
export function archMatches(arch: string, pattern: string): boolean {
  const real = arch.toLowerCase();
  const alias = pattern.toLowerCase();
  if (real === alias || alias === 'any') return true;
  const r = archTuple(real);
  const a = wildcardTuple(alias);
  if (!r || !a) return false;
  return (
    (a.abi === 'any' || a.abi === r.abi) &&
    (a.libc === 'any' || a.libc === r.libc) &&
    (a.os === 'any' || a.os === r.os) &&
    (a.cpu === 'any' || a.cpu === r.cpu)
  );
}

/** Whether `pattern` contains a wildcard part, i.e. names a set of architectures. */
export function isArchWildcard(pattern: string): boolean {
  return pattern.toLowerCase().split('-').includes('any');
}
