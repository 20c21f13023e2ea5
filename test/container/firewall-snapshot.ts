import { readFile, writeFile } from 'node:fs/promises';
import { mustRun } from './run-tool.js';

/**
 * dockerd changes the host's firewall and leaves it so when it stops: its own chains and jump
 * rules, FORWARD policy DROP, IPv4 forwarding on. A test engine must not leave the machine
 * different, so this takes the state before and puts back what changed since.
 */

const TABLES = ['filter', 'nat'] as const;
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** `iptables -S` rule text as arguments: words, and "quoted strings" (comments) as one. */
function words(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

async function rules(table: string): Promise<string[]> {
  return (await mustRun('iptables', ['-t', table, '-S'], { timeoutMs: 30_000 })).stdout.split('\n').filter((l) => l !== '');
}

const iptables = (table: string, args: readonly string[]): Promise<unknown> => mustRun('iptables', ['-t', table, ...args], { timeoutMs: 30_000 });

/** The firewall state now; the returned function restores it (rules, chains, policies, forwarding). */
export async function snapshotFirewall(): Promise<() => Promise<void>> {
  const before = new Map<string, Set<string>>();
  for (const table of TABLES) before.set(table, new Set(await rules(table)));
  const forwarding = await readFile(IP_FORWARD, 'utf8');
  return async () => {
    for (const table of TABLES) {
      const had = before.get(table) ?? new Set<string>();
      const now = await rules(table);
      const added = now.filter((r) => !had.has(r));
      // Rules first (they may jump to added chains), then the chains, then the policies.
      for (const rule of added.filter((r) => r.startsWith('-A '))) await iptables(table, ['-D', ...words(rule).slice(1)]);
      const chains = added.filter((r) => r.startsWith('-N ')).map((r) => words(r)[1] ?? '');
      for (const chain of chains) await iptables(table, ['-F', chain]);
      for (const chain of chains) await iptables(table, ['-X', chain]);
      for (const policy of [...had].filter((r) => r.startsWith('-P ') && !now.includes(r))) await iptables(table, words(policy));
    }
    await writeFile(IP_FORWARD, forwarding);
  };
}
