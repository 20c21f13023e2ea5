import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfiguredToken } from '../../../src/auth/configured-token.js';
import type { TokenScope } from '../../../src/store/token-record.js';
import { createToken } from '../../../src/auth/token-ops.js';
import { generateKey } from '../../../src/keys/generate-key.js';
import type { TaskView } from '../../../src/model/task-registry.js';
import { closeContext, type Context, openEmbeddedContext } from '../../../src/model/context.js';
import { type RunningServer, type ServerOptions, startServer } from '../../../src/server/start-server.js';

/** The parts of an API body every test looks at; others cast `json` to what they expect. */
export interface ApiJson {
  readonly error?: { readonly code: string; readonly message: string; readonly hint: string; readonly details: Readonly<Record<string, unknown>> };
  readonly task?: TaskView;
  readonly [key: string]: unknown;
}

export interface Reply<T = ApiJson> {
  readonly status: number;
  readonly headers: Headers;
  /** The parsed JSON body (undefined when the body is not JSON). */
  readonly json: T;
  readonly text: string;
}

export interface CallOptions {
  /** A scope (the fixture's token of that scope) or a literal secret. */
  readonly token?: TokenScope | { readonly secret: string };
  readonly json?: unknown;
  readonly body?: NonNullable<RequestInit['body']>;
  readonly headers?: Record<string, string>;
}

export interface ApiFixture {
  readonly dir: string;
  readonly ctx: Context;
  readonly server: RunningServer;
  /** A stored token of each scope, by scope. */
  readonly secrets: Readonly<Record<TokenScope, string>>;
  call<T = ApiJson>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** Polls GET /api/tasks/ID until the task is finished (bounded); returns the task. */
  waitTask(id: string): Promise<TaskView>;
  close(): Promise<void>;
}

/**
 * A data dir with a signing key and one stored token per scope, served by the real server on
 * 127.0.0.1; `call` speaks real HTTP (fetch) to it.
 */
export async function apiFixture(options: Partial<ServerOptions> & { readonly configuredTokens?: readonly ConfiguredToken[] } = {}): Promise<ApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'debstash-api-'));
  const ctx = await openEmbeddedContext(join(dir, 'data'));
  await generateKey(ctx.store, { name: 'API Test Publisher' });
  const secrets = {
    read: (await createToken(ctx, { scope: 'read', name: 'reader' })).secret,
    write: (await createToken(ctx, { scope: 'write', name: 'writer' })).secret,
    admin: (await createToken(ctx, { scope: 'admin', name: 'admin' })).secret,
  };
  const server = await startServer(ctx, { host: '127.0.0.1', port: 0, ...options, ...(options.configuredTokens ? { tokens: options.configuredTokens } : {}) });
  const call = async <T = ApiJson>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token !== undefined) headers.authorization = `Bearer ${typeof o.token === 'string' ? secrets[o.token] : o.token.secret}`;
    if (o.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(o.json !== undefined ? { body: JSON.stringify(o.json) } : o.body !== undefined ? { body: o.body, duplex: 'half' } : {}) } as RequestInit);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as T, text };
  };
  return {
    dir,
    ctx,
    server,
    secrets,
    call,
    async waitTask(id: string) {
      for (let i = 0; i < 600; i++) {
        const { task } = (await call<{ task: TaskView }>('GET', `/api/tasks/${id}`, { token: 'read' })).json;
        if (['succeeded', 'failed', 'cancelled'].includes(task.state)) return task;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`task ${id} did not finish in 30 s`);
    },
    async close() {
      await server.close();
      await closeContext(ctx);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
