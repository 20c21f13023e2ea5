import { Command } from 'commander';
import { createToken, revokeToken } from '../../auth/token-ops.js';
import { parseScope, TOKEN_SCOPES } from '../../auth/token-scope.js';
import { emit, result } from '../output.js';
import { withContext } from '../with-context.js';

/** `debstash token create|list|revoke`: bearer tokens of the REST API (and a private tree). */
export function tokenCommand(): Command {
  const token = new Command('token').description('bearer tokens for the REST API (and a private APT tree)');

  token
    .command('create')
    .description('create a token and print its secret (shown this once; only its hash is kept)')
    .requiredOption('--scope <scope>', `what it may do: ${TOKEN_SCOPES.join(' < ')}`)
    .option('--name <name>', 'a name to list and revoke it by (default SCOPE-RANDOM)')
    .action(async (o: { scope: string; name?: string }, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const { token: t, secret } = await createToken(ctx, { scope: parseScope(o.scope), ...(o.name !== undefined ? { name: o.name } : {}) });
        // The secret is the output itself: --quiet does not hide it.
        if (opts.json || !opts.quiet) emit(opts, [secret, `created ${t.scope} token ${t.name}; the secret above is not shown again`], { name: t.name, scope: t.scope, createdAt: t.createdAt, secret });
        else process.stdout.write(`${secret}\n`);
      }),
    );

  token
    .command('list')
    .description('list tokens (names and scopes; secrets are not kept)')
    .action(async (_o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        const all = (await ctx.store.listTokens()).map((t) => ({ name: t.name, scope: t.scope, createdAt: t.createdAt }));
        result(opts, all.length === 0 ? 'no tokens; create one with "debstash token create --scope read|write|admin"' : all.map((t) => `${t.name}  ${t.scope.padEnd(5)}  ${t.createdAt}`), all);
      }),
    );

  token
    .command('revoke')
    .argument('<name>')
    .description('delete a token: requests with its secret are refused from now on')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      withContext(cmd, async (ctx, opts) => {
        await revokeToken(ctx, name);
        emit(opts, `revoked token ${name}`, { revoked: name });
      }),
    );
  return token;
}
