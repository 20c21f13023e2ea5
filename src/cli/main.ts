import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Each command tree is imported only when it is the one asked for: loading every module
 * (HTTP client, OpenPGP, schema library, server) costs more than many commands take to run.
 */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  mirror: async () => (await import('./commands/mirror.js')).mirrorCommand(),
  repo: async () => (await import('./commands/repo.js')).repoCommand(),
  snapshot: async () => (await import('./commands/snapshot.js')).snapshotCommand(),
  publish: async () => (await import('./commands/publish.js')).publishCommand(),
  'client-config': async () => (await import('./commands/publish.js')).clientConfigCommand(),
  package: async () => (await import('./commands/package.js')).packageCommand(),
  key: async () => (await import('./commands/key.js')).keyCommand(),
  token: async () => (await import('./commands/token.js')).tokenCommand(),
  serve: async () => (await import('./commands/serve.js')).serveCommand(),
  apply: async () => (await import('./commands/apply.js')).applyCommand(),
  up: async () => (await import('./commands/up.js')).upCommand(),
  db: async () => (await import('./commands/db.js')).dbCommand(),
  import: async () => (await import('./commands/import.js')).importCommand(),
};

/** Global options that take a value, so the word after them is not the command name. */
const VALUE_OPTIONS = new Set(['--data-dir', '--config', '--server']);

/** The command the arguments name, or undefined (help, version, a typo: load them all). */
function commandName(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return Object.hasOwn(COMMANDS, arg) ? arg : undefined;
  }
  return undefined;
}

async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('debstash')
    .description('Keep a trusted, filtered, signed copy of Debian/Ubuntu APT repositories and serve it.')
    .version(packageVersion(), '-V, --version')
    .option('--data-dir <dir>', 'where debstash keeps its state (env DEBSTASH_DATA_DIR)')
    .option('--config <file>', 'debstash.yaml to use (env DEBSTASH_CONFIG)')
    .option('--json', 'machine-readable output: one JSON document on stdout')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'print more detail')
    .option('--server <url>', 'send publish, snapshot create, repo add and mirror update to this debstash server (token in env DEBSTASH_TOKEN)')
    .option('--local', "run on the data dir even when a server runs on it (default: through that server, found in the data dir's server.json)")
    .exitOverride()
    // Usage errors are reported by main() as DEBSTASH_E_USAGE, like every other error.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => undefined });

  // Added command trees do not inherit the program's settings; without exitOverride their
  // usage errors would exit 1 behind our back instead of 2.
  const name = commandName(argv);
  const versionOnly = name === undefined && argv.some((a) => a === '-V' || a === '--version');
  const loaders = name !== undefined ? [COMMANDS[name]] : versionOnly ? [] : Object.values(COMMANDS);
  for (const sub of await Promise.all(loaders.map((load) => load?.()))) if (sub) program.addCommand(sub);
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
  const program = await buildProgram(argv);
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    // A command that reports a failed check after printing its result sets exitCode.
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0) return 0;
      if (err.code === 'commander.help') {
        // A bare group ("debstash mirror"): commander printed its commands; say what is missing.
        report(new DebstashError('DEBSTASH_E_USAGE', `"debstash ${commandName(argv) ?? ''}" needs a command: one of those listed above`), json);
        return 2;
      }
      report(new DebstashError('DEBSTASH_E_USAGE', err.message.replace(/^error: /, '').trim()), json);
      return 2;
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
