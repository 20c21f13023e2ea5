import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import { basename } from 'node:path';
import { once } from 'node:events';
import { ERROR_CODES, type ErrorCode } from '../errors/codes.js';
import { DebstashError, type ErrorDetails } from '../errors/debstash-error.js';
import type { ProgressEvent, ProgressSink } from '../model/progress.js';
import type { TaskEvent, TaskView } from '../model/task-registry.js';

/** A body written onto the request: JSON, or a writer that streams it (an upload). */
type Body = { readonly json: unknown } | { readonly length: number; readonly type: string; write(req: ClientRequest): Promise<void> };

interface ErrorBody {
  readonly code: string;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The details a DebstashError carries: the primitive ones (a task row keeps any JSON). */
function primitiveDetails(details: Readonly<Record<string, unknown>> | undefined): ErrorDetails {
  const kept: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(details ?? {})) if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') kept[k] = v;
  return kept;
}

/** The coded error of an error body, as the local path would have thrown it (same code, message, details). */
function fromErrorBody(e: ErrorBody): DebstashError {
  const code = Object.hasOwn(ERROR_CODES, e.code) ? (e.code as ErrorCode) : 'DEBSTASH_E_INTERNAL';
  return new DebstashError(code, code === e.code ? e.message : `${e.code}: ${e.message}`, primitiveDetails(e.details));
}

/**
 * The REST API of a debstash server, as the CLI uses it to run an operation there instead of
 * on the data dir: JSON calls, package uploads, and tasks followed over Server-Sent Events.
 * Plain node:http (already loaded by Node) so the client costs nothing to start.
 */
export class ApiClient {
  readonly url: string;
  readonly #secret: string | undefined;
  /** Whether the server has answered once: after that a refused connection is no longer "not there". */
  #reached = false;

  constructor(url: string, secret: string | undefined) {
    this.url = url.replace(/\/+$/, '');
    this.#secret = secret;
  }

  /**
   * Sends one request; the answer's head once it arrives. A refused connection is
   * DEBSTASH_E_SERVER_UNREACHABLE with `details.refused` when the server never answered (so
   * nothing of the operation reached it and the caller may run it elsewhere); any other
   * failure, or a refusal after the server has answered once, is that code without it.
   */
  #send(method: string, path: string, body?: Body): Promise<IncomingMessage> {
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (this.#secret !== undefined) headers.Authorization = `Bearer ${this.#secret}`;
    const json = body !== undefined && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined;
    if (json !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': json.length });
    else if (body !== undefined && 'write' in body) Object.assign(headers, { 'Content-Type': body.type, 'Content-Length': body.length });
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${path}`, { method, headers }, (res) => {
        this.#reached = true;
        resolve(res);
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const refused = err.code === 'ECONNREFUSED' && !this.#reached;
        reject(new DebstashError('DEBSTASH_E_SERVER_UNREACHABLE', `${this.url}: ${err.code === 'ECONNREFUSED' ? 'connection refused' : err.message}`, { url: this.url, ...(refused ? { refused } : {}) }, { cause: err }));
      });
      if (body !== undefined && 'write' in body) {
        body.write(req).then(() => req.end(), (err: unknown) => req.destroy(err instanceof Error ? err : new Error(String(err))));
      } else req.end(json);
    });
  }

  /** The answer's JSON; an error body becomes the coded error it carries. */
  async #answer<T>(res: IncomingMessage): Promise<T> {
    let text = '';
    res.setEncoding('utf8');
    for await (const chunk of res) text += chunk as string;
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new DebstashError('DEBSTASH_E_SERVER_UNREACHABLE', `${this.url} answered ${res.statusCode ?? '?'} without JSON: it is not a debstash API`, { url: this.url, status: res.statusCode ?? 0 });
    }
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return doc as T;
    const error = (doc as { error?: ErrorBody }).error;
    if (error === undefined || typeof error.code !== 'string') throw new DebstashError('DEBSTASH_E_SERVER_UNREACHABLE', `${this.url} answered ${status} without an error body`, { url: this.url, status });
    throw fromErrorBody(error);
  }

  /**
   * A JSON call: the answer's body. A 429 (the server's rate limit) is waited out and tried
   * again, a few times: the request was refused before it did anything, so it is safe to repeat.
   */
  async call<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, json?: unknown): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#answer<T>(await this.#send(method, path, json !== undefined ? { json } : undefined));
      } catch (err) {
        const wait = err instanceof DebstashError && err.code === 'DEBSTASH_E_RATE_LIMITED' ? Number(err.details.retryAfter) : NaN;
        if (!(wait > 0 && wait <= 30) || attempt >= 4) throw err;
        await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      }
    }
  }

  /**
   * Uploads package files as one multipart/form-data body, streamed from disk with its length
   * declared (so a server refuses one over its limit before reading it).
   */
  async upload<T>(path: string, files: readonly { readonly path: string; readonly size: number }[]): Promise<T> {
    const boundary = `debstash-${randomBytes(12).toString('hex')}`;
    const heads = files.map((f) =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${basename(f.path).replace(/["\r\n]/g, '_')}"\r\nContent-Type: application/vnd.debian.binary-package\r\n\r\n`),
    );
    const tail = Buffer.from(`--${boundary}--\r\n`);
    const length = files.reduce((n, f, i) => n + (heads[i]?.length ?? 0) + f.size + 2, tail.length);
    const write = async (req: ClientRequest): Promise<void> => {
      for (const [i, f] of files.entries()) {
        req.write(heads[i]);
        for await (const chunk of createReadStream(f.path)) if (!req.write(chunk)) await once(req, 'drain');
        req.write('\r\n');
      }
      req.write(tail);
    };
    return this.#answer<T>(await this.#send('POST', path, { length, type: `multipart/form-data; boundary=${boundary}`, write }));
  }

  /**
   * Starts a task and follows its event stream to the end: progress events go to `progress`,
   * an abort of `signal` cancels the task on the server (which then ends cancelled, as a
   * local run would). The task's result, or its error as the local run would have thrown it.
   */
  async task<T>(path: string, json: unknown, io: { readonly signal: AbortSignal; readonly progress?: ProgressSink }): Promise<T> {
    const { task } = await this.call<{ task: TaskView }>('POST', path, json);
    const cancel = (): void => void this.call('DELETE', `/api/tasks/${task.id}`).catch(() => undefined);
    io.signal.addEventListener('abort', cancel, { once: true });
    try {
      const res = await this.#send('GET', `/api/tasks/${task.id}/events`);
      if (res.statusCode !== 200) return await this.#answer<never>(res);
      const end = await this.#follow(res, io.progress);
      if (end === undefined) throw new DebstashError('DEBSTASH_E_SERVER_UNREACHABLE', `${this.url} closed the events of task ${task.id} before it ended`, { url: this.url, task: task.id });
      if (end.state === 'succeeded') return end.result as T;
      throw end.error !== undefined ? fromErrorBody(end.error) : new DebstashError('DEBSTASH_E_CANCELLED', `task ${task.id} ended ${end.state}`, { task: task.id });
    } finally {
      io.signal.removeEventListener('abort', cancel);
    }
  }

  /** Reads Server-Sent Events until `end`; the finished task, or undefined if the stream broke first. */
  async #follow(res: IncomingMessage, progress: ProgressSink | undefined): Promise<TaskView | undefined> {
    let buffered = '';
    res.setEncoding('utf8');
    try {
      for await (const chunk of res) {
        buffered += chunk as string;
        for (let cut = buffered.indexOf('\n\n'); cut >= 0; cut = buffered.indexOf('\n\n')) {
          const data = buffered
            .slice(0, cut)
            .split('\n')
            .filter((line) => line.startsWith('data: '))
            .map((line) => line.slice(6))
            .join('\n');
          buffered = buffered.slice(cut + 2);
          if (data === '') continue; // a keepalive comment
          const e = JSON.parse(data) as TaskEvent;
          if (e.type === 'end') return e.task;
          if (e.type !== 'state') progress?.(e satisfies ProgressEvent);
        }
      }
    } catch {
      // A reset connection: reported by the caller like a stream cut short.
    }
    return undefined;
  }
}
