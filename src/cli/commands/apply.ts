import { Command } from 'commander';
import { DebstashError } from '../../errors/debstash-error.js';

/** `debstash apply [--plan]`. STUB: the config work fills it in. */
export function applyCommand(): Command {
  return new Command('apply').description('make the store match debstash.yaml').option('--plan', 'print what would change, change nothing').action(() => {
    throw new DebstashError('DEBSTASH_E_NOT_IMPLEMENTED', 'apply is not in this build yet');
  });
}
