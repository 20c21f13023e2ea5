import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';

/** `debstash package search|show QUERY`. STUB: the REST API work fills it in. */
export function packageCommand(): Command {
  const pkg = new Command('package').description('find packages across mirrors, repos and snapshots');
  pkg.command('search <query>').description('packages matching a query').action(() => {
    throw new DebstashError('DEBSTASH_E_NOT_IMPLEMENTED', 'package search is not in this build yet');
  });
  return pkg;
}
