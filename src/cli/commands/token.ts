import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';

/** `debstash token create|list|revoke`. STUB: the auth work fills it in. */
export function tokenCommand(): Command {
  const token = new Command('token').description('bearer tokens for the REST API (and a private APT tree)');
  token.command('create').description('create a token').action(() => {
    throw new DebstashError('DEBSTASH_E_NOT_IMPLEMENTED', 'tokens are not in this build yet');
  });
  return token;
}
