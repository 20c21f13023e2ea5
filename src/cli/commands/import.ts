import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';
import { cancellable } from '../cancel-on-signal.js';
import { emit, globalOptions, warn } from '../output.js';
import { withContext } from '../with-context.js';

interface AptlyFlags {
  readonly keyring?: string[];
  readonly yaml?: string;
  readonly passphraseFile?: string;
}

/**
 * The program's own --config (debstash.yaml) takes the option wherever it stands, so the
 * --config written after "import aptly" is found in the raw arguments: there it names aptly's
 * configuration.
 */
function configAfterCommand(sub: Command): string | undefined {
  let root: Command = sub;
  while (root.parent !== null) root = root.parent;
  const raw: readonly string[] = (root as Command & { rawArgs?: string[] }).rawArgs ?? process.argv;
  const at = raw.findIndex((a, i) => a === 'aptly' && raw[i - 1] === 'import');
  if (at < 0) return undefined;
  let found: string | undefined;
  for (let i = at + 1; i < raw.length; i++) {
    const a = raw[i] as string;
    if (a === '--config' && i + 1 < raw.length) found = raw[++i];
    else if (a.startsWith('--config=')) found = a.slice('--config='.length);
  }
  return found;
}

export function importCommand(): Command {
  const cmd = new Command('import').description('bring an existing installation of another tool into debstash');
  cmd
    .command('aptly')
    .description("recreate an aptly installation's mirrors, local repos, snapshots and publishes (read through the aptly command), its package files verified by SHA-256")
    .option('--config <file>', 'aptly.conf of the installation (default: where aptly looks, ~/.aptly.conf then /etc/aptly.conf)')
    .option('--keyring <file...>', "keyrings the imported mirrors verify their upstream with (default: aptly's trustedkeys.gpg)")
    .option('--yaml <file>', 'where to write the debstash.yaml that keeps the imported mirrors, repos and publishes going', 'debstash.yaml')
    .option('--passphrase-file <file>', 'file holding the passphrase of the signing key, for the publishes')
    .action(async (o: AptlyFlags & { config?: string }, sub: Command) => {
      const opts = globalOptions(sub);
      // It reads aptly and links files on this machine: a server elsewhere could do neither.
      if (sub.optsWithGlobals<{ server?: string }>().server !== undefined) {
        throw new DebstashError('DEBSTASH_E_USAGE', 'import aptly runs on the data dir of this machine, where aptly is; drop --server (a running server sees what it imports)', {});
      }
      const aptlyConfig = sub.opts<{ config?: string }>().config ?? configAfterCommand(sub);
      const yamlPath = o.yaml ?? 'debstash.yaml';
      if (existsSync(yamlPath)) throw new DebstashError('DEBSTASH_E_USAGE', `${yamlPath} exists already: give another file with --yaml (nothing was imported)`, { path: yamlPath });
      const { resolvePassphrase } = await import('../../keys/passphrase.js');
      const passphrase = await resolvePassphrase(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {});
      const { importAptly } = await import('../../model/import-aptly.js');
      const { aptlyConfigYaml } = await import('../../config/aptly-yaml.js');
      await withContext(sub, async (ctx) => {
        const r = await cancellable((signal) =>
          importAptly(ctx, { ...(aptlyConfig !== undefined ? { config: aptlyConfig } : {}), ...(o.keyring ? { keyrings: o.keyring } : {}), ...(passphrase !== undefined ? { passphrase } : {}), signal }),
        );
        await writeFile(yamlPath, aptlyConfigYaml(r.installation, r.mirrors), { flag: 'wx' });
        for (const w of r.warnings) warn(opts, w);
        const human = [
          `imported from aptly (${r.installation.config}): ${r.mirrors.length} mirrors, ${r.repos.length} repos, ${r.snapshots.length} snapshots, ${r.publishes.length} publishes`,
          `package files: ${r.files.linked} hard-linked, ${r.files.copied} copied, ${r.files.present} already in the pool`,
          ...r.publishes.map((p) => `published ${p.prefix || '/'} ${p.dist} (${p.source.kind} ${p.source.name})`),
          `wrote ${yamlPath}`,
          ...(r.mirrors.length > 0 ? [`next: debstash --config ${yamlPath} apply   (updates the mirrors; their files are in the pool already)`] : []),
        ];
        emit(opts, human, {
          config: r.installation.config,
          mirrors: r.mirrors.map((m) => m.name),
          repos: r.repos,
          snapshots: r.snapshots,
          publishes: r.publishes.map((p) => ({ prefix: p.prefix, dist: p.dist, source: p.source })),
          files: r.files,
          yaml: yamlPath,
          warnings: r.warnings,
        });
      }, { debstashConfig: false });
    });
  return cmd;
}
