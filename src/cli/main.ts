import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import { applyCommand } from './commands/apply.js';
import { dbCommand } from './commands/db.js';
import { keyCommand } from './commands/key.js';
import { mirrorCommand } from './commands/mirror.js';
import { packageCommand } from './commands/package.js';
import { clientConfigCommand, publishCommand } from './commands/publish.js';
import { repoCommand } from './commands/repo.js';
import { upCommand } from './commands/up.js';
import { serveCommand } from './commands/serve.js';
import { snapshotCommand } from './commands/snapshot.js';
import { tokenCommand } from './commands/token.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function buildProgram(): Command {
  const program = new Command('debstash')
    .description('Keep a trusted, filtered, signed copy of Debian/Ubuntu APT repositories and serve it.')
    .version(packageVersion(), '-V, --version')
    .option('--data-dir <dir>', 'where debstash keeps its state (env DEBSTASH_DATA_DIR)')
    .option('--config <file>', 'debstash.yaml to use (env DEBSTASH_CONFIG)')
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'print more detail')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  // Added command trees do not inherit the program's settings; without exitOverride their
  // usage errors would exit 1 behind our back instead of 2.
  for (const sub of [mirrorCommand(), repoCommand(), snapshotCommand(), publishCommand(), clientConfigCommand(), packageCommand(), keyCommand(), tokenCommand(), serveCommand(), applyCommand(), upCommand(), dbCommand()]) program.addCommand(sub);
  const inherit = (cmd: Command): void => {
    for (const c of cmd.commands) {
      c.copyInheritedSettings(cmd);
      inherit(c);
    }
  };
  inherit(program);
  return program;
}

function report(err: DebstashError, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
  else process.stderr.write(`debstash: ${err.describe()}\n`);
}

/** Runs the CLI and returns the exit code: 0 ok, 1 operation failed, 2 usage error. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // A command that reports a failed check after printing its result sets exitCode.
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (isDebstashError(err)) {
      report(err, json);
      return err.exitCode;
    }
    // Anything else is a bug in debstash, not the user's doing: say so, with the stack.
    process.stderr.write(`debstash: internal error (please report): ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}
