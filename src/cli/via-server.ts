import type { Command } from 'commander';
import { DebstashError, isDebstashError } from '../errors/debstash-error.js';
import type { Context } from '../model/context.js';
import type { ApiClient } from './api-client.js';
import { type GlobalOptions, globalOptions } from './output.js';
import { processRuns, readServerFile } from './server-file.js';
import { withContext } from './with-context.js';

/** One operation, as run on a server and as run on the data dir; both give the same value. */
export interface BothWays<T> {
  readonly server: (api: ApiClient, opts: GlobalOptions) => Promise<T>;
  readonly local: (ctx: Context, opts: GlobalOptions) => Promise<T>;
  /** An option of this invocation the API cannot carry (e.g. "--export"): it then runs locally. */
  readonly localOnly?: string | undefined;
  /**
   * Something of this process's environment the server found in server.json may not share (a
   * key passphrase): it then runs locally too. An explicit --server is asked regardless: that
   * server has its own environment by design.
   */
  readonly localEnv?: string | undefined;
}

const note = (opts: GlobalOptions, line: string): void => {
  if (opts.verbose) process.stderr.write(`debstash: ${line}\n`);
};

/** The server to send the operation to, if any: `--server` (token from DEBSTASH_TOKEN), else the data dir's live server.json. */
async function findServer(cmd: Command, opts: GlobalOptions, op: BothWays<unknown>): Promise<{ api: ApiClient; found: boolean } | undefined> {
  const { localOnly, localEnv } = op;
  const o = cmd.optsWithGlobals<{ server?: string; local?: boolean }>();
  if (o.local === true) {
    if (o.server !== undefined) throw new DebstashError('DEBSTASH_E_USAGE', 'give --server or --local, not both');
    return undefined;
  }
  // Loaded only when a server may be used: node:http and the client are not needed locally.
  const { ApiClient } = await import('./api-client.js');
  if (o.server !== undefined) {
    if (localOnly !== undefined) throw new DebstashError('DEBSTASH_E_USAGE', `${localOnly} cannot be sent to a server; run this on the server's data dir (--local) or without ${localOnly}`, { option: localOnly });
    return { api: new ApiClient(o.server, process.env.DEBSTASH_TOKEN || undefined), found: false };
  }
  const file = await readServerFile(opts.dataDir);
  if ('unusable' in file) {
    if (file.unusable !== 'no server.json') note(opts, file.unusable);
    return undefined;
  }
  if (localOnly !== undefined || localEnv !== undefined) {
    note(opts, `${localOnly ?? localEnv} is set: running here, not on the server at ${file.url}`);
    return undefined;
  }
  if (!processRuns(file.pid)) {
    note(opts, `server.json names pid ${file.pid}, which is gone: running locally`);
    return undefined;
  }
  return { api: new ApiClient(file.url, file.secret), found: true };
}

/**
 * Runs an operation through the debstash server that serves this data dir (found in its
 * server.json) or the one `--server` names, so a short command does not pay for opening the
 * store, keys and modules itself; else, or with `--local`, on the data dir. A server.json whose
 * server is gone (dead pid, refused connection) is ignored (a note with -v): the operation then
 * runs locally, which is safe because nothing of it reached a server.
 */
export async function viaServer<T>(cmd: Command, op: BothWays<T>): Promise<T> {
  const opts = globalOptions(cmd);
  const server = await findServer(cmd, opts, op);
  if (server !== undefined) {
    note(opts, `through the server at ${server.api.url}`);
    try {
      return await op.server(server.api, opts);
    } catch (err) {
      const gone = isDebstashError(err) && err.code === 'DEBSTASH_E_SERVER_UNREACHABLE' && err.details.refused === true;
      if (!server.found || !gone) throw err;
      note(opts, `server.json names ${server.api.url}, which refuses connections: running locally`);
    }
  }
  return withContext(cmd, op.local);
}
