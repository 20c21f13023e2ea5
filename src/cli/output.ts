import type { Command } from 'commander';
import { resolveDataDir } from '../model/data-dir.js';

export interface GlobalOptions {
  readonly dataDir: string;
  readonly config?: string;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals<{ dataDir?: string; config?: string; json?: boolean; quiet?: boolean; verbose?: boolean }>();
  const config = o.config ?? process.env.DEBSTASH_CONFIG;
  return {
    dataDir: resolveDataDir(o.dataDir),
    ...(config ? { config } : {}),
    json: o.json === true,
    quiet: o.quiet === true,
    verbose: o.verbose === true,
  };
}

/**
 * How commands print what they did: a JSON document on stdout with --json, else the human
 * text, which --quiet suppresses (a confirmation such as "created mirror m"). Warnings go to
 * stderr either way, so stdout stays parseable.
 */
export function emit(opts: GlobalOptions, human: string | readonly string[], doc: unknown): void {
  print(opts, opts.quiet ? '' : human, doc);
}

/**
 * How commands print what was asked for (a list, a show, a search, a check, a plan): --quiet
 * silences progress and confirmations, never the answer itself.
 */
export function result(opts: GlobalOptions, human: string | readonly string[], doc: unknown): void {
  print(opts, human, doc);
}

function print(opts: GlobalOptions, human: string | readonly string[], doc: unknown): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  const text = typeof human === 'string' ? human : human.join('\n');
  if (text !== '') process.stdout.write(`${text}\n`);
}

export function warn(opts: GlobalOptions, message: string): void {
  if (!opts.quiet) process.stderr.write(`debstash: warning: ${message}\n`);
}
