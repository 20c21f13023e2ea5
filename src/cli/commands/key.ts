import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { generateKey } from '../../keys/generate-key.js';
import { importKey } from '../../keys/import-key.js';
import type { KeyInfo } from '../../keys/key-info.js';
import { keyError, why } from '../../keys/key-error.js';
import { exportPublicKey, listKeys, setDefaultKey } from '../../keys/key-store.js';
import { PASSPHRASE_ENV, PASSPHRASE_FILE_ENV, resolvePassphrase } from '../../keys/passphrase.js';
import { emit, result } from '../output.js';
import { withContext } from '../with-context.js';

const PASSPHRASE_HELP = `read the key's passphrase from FILE (else env ${PASSPHRASE_FILE_ENV} or ${PASSPHRASE_ENV}; never an argument)`;

function describe(k: KeyInfo): string {
  const flags = [k.default && 'default', k.passphrase && 'passphrase', k.expires !== null && `expires ${k.expires.slice(0, 10)}`].filter(Boolean).join(', ');
  return `${k.fingerprint}  ${k.algorithm.padEnd(7)}  ${k.created.slice(0, 10)}  ${k.userIds.join(', ')}${flags === '' ? '' : `  [${flags}]`}`;
}

function added(verb: string, k: KeyInfo): string[] {
  return [
    `${verb} key ${k.fingerprint} (${k.algorithm}, ${k.userIds.map((u) => JSON.stringify(u)).join(', ')})${k.passphrase ? ', protected by the passphrase' : ''}`,
    ...(k.default ? ['it is the default signing key'] : [`the default signing key is unchanged; make this one the default with "debstash key default ${k.keyId}"`]),
    `public key for clients: debstash key export ${k.keyId}`,
  ];
}

async function readKeyFile(file: string): Promise<Buffer> {
  try {
    if (file !== '-') return await readFile(file);
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? why(err);
    throw keyError('DEBSTASH_E_KEY_INVALID', `cannot read the key file ${file} (${code})`, { path: file, errno: code }, err);
  }
}

export function keyCommand(): Command {
  const key = new Command('key').description('signing keys of published repositories: generate, import, list, export');

  key
    .command('generate')
    .description('make a signing key (Ed25519, or RSA 4096 with --rsa) and keep it in the store; the first key becomes the default')
    .option('--name <name>', 'name in the key\'s user ID (default "debstash signing key")')
    .option('--email <email>', 'email address in the key\'s user ID')
    .option('--rsa', 'RSA 4096 instead of Ed25519')
    .option('--passphrase-file <file>', PASSPHRASE_HELP)
    .action(async (o: { name?: string; email?: string; rsa?: boolean; passphraseFile?: string }, cmd: Command) => {
      const passphrase = await resolvePassphrase({ ...(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {}) });
      await withContext(cmd, async (ctx, opts) => {
        const k = await generateKey(ctx.store, {
          ...(o.name !== undefined ? { name: o.name } : {}),
          ...(o.email !== undefined ? { email: o.email } : {}),
          algorithm: o.rsa === true ? 'rsa4096' : 'ed25519',
          ...(passphrase !== undefined ? { passphrase } : {}),
        });
        emit(opts, added('generated', k), k);
      });
    });

  key
    .command('import')
    .description('add an existing secret key (armored or binary, e.g. from "gpg --export-secret-keys"); FILE "-" reads stdin')
    .argument('<file>')
    .option('--passphrase-file <file>', PASSPHRASE_HELP)
    .action(async (file: string, o: { passphraseFile?: string }, cmd: Command) => {
      const passphrase = await resolvePassphrase({ ...(o.passphraseFile !== undefined ? { file: o.passphraseFile } : {}) });
      const bytes = await readKeyFile(file);
      await withContext(cmd, async (ctx, opts) => {
        const k = await importKey(ctx.store, bytes, { ...(passphrase !== undefined ? { passphrase } : {}) });
        emit(opts, added('imported', k), k);
      });
    });

  key
    .command('list')
    .description('list the signing keys')
    .action(async (_o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, opts) => {
        const all = await listKeys(ctx.store);
        result(opts, all.length === 0 ? 'no signing keys; make one with "debstash key generate"' : all.map(describe), all);
      });
    });

  key
    .command('export')
    .description('print a public key, armored (default: the default key): what clients put in Signed-By')
    .argument('[keyid]', 'fingerprint or key ID')
    .action(async (keyId: string | undefined, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, opts) => {
        const { fingerprint, armored } = await exportPublicKey(ctx.store, keyId);
        // The key is the output itself: --quiet does not hide it.
        if (opts.json) emit(opts, '', { fingerprint, publicKey: armored });
        else process.stdout.write(armored);
      });
    });

  key
    .command('default')
    .description('make a key the default signing key')
    .argument('<keyid>', 'fingerprint or key ID')
    .action(async (keyId: string, _o: unknown, cmd: Command) => {
      await withContext(cmd, async (ctx, opts) => {
        const k = await setDefaultKey(ctx.store, keyId);
        emit(opts, `the default signing key is now ${k.fingerprint}`, k);
      });
    });

  return key;
}
