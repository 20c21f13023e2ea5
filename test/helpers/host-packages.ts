import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from './project-root.js';

const APT_LISTS = '/var/lib/apt/lists';
const APT_HELPER = '/usr/lib/apt/apt-helper';

/**
 * A real, full Packages index for tests that need one: `.cache/Packages` when a developer
 * put it there, else the largest main binary list apt downloaded on this machine (CI runs
 * apt-get update first), uncompressed by apt's own `apt-helper cat-file`.
 */
export function hostPackagesText(): { readonly text: string; readonly file: string } | { readonly skip: string } {
  const cached = join(projectRoot, '.cache', 'Packages');
  if (existsSync(cached)) return { text: readFileSync(cached, 'utf8'), file: cached };
  if (!existsSync(APT_HELPER) || !existsSync(APT_LISTS)) return { skip: `no ${cached} and no apt lists on this machine` };
  const lists = readdirSync(APT_LISTS)
    .filter((f) => /_main_binary-[a-z0-9-]+_Packages(\.(lz4|gz|xz|bz2|zst))?$/.test(f))
    .map((f) => join(APT_LISTS, f))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  const file = lists[0];
  if (file === undefined) return { skip: `no ${cached} and no main Packages list in ${APT_LISTS} (run apt-get update)` };
  return { text: execFileSync(APT_HELPER, ['cat-file', file], { encoding: 'utf8', maxBuffer: 1 << 30 }), file };
}
