import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import type { TokenScope } from '../../store/token-record.js';
import type { Context } from '../../model/context.js';
import type { TaskRegistry, TaskView } from '../../model/task-registry.js';

/** What every handler works with: the data dir (its store locks on `ctx.locks`), the task registry, the limits. */
export interface ApiServices {
  readonly ctx: Context;
  readonly tasks: TaskRegistry;
  /** Largest request body accepted for a package upload, in bytes. */
  readonly uploadLimitBytes: number;
}

export interface ApiCall<Body> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Path parameters, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The JSON body, validated by the route's schema (undefined without one). */
  readonly body: Body;
  readonly services: ApiServices;
}

/** A JSON answer; or `streamed` when the handler wrote the response itself (SSE). */
export type ApiReply = { readonly status: number; readonly body: unknown; readonly headers?: Readonly<Record<string, string>> } | { readonly streamed: true };

export interface QueryParameter {
  readonly name: string;
  readonly description: string;
  readonly required?: boolean;
}

/**
 * One row of the route table: the router dispatches on it, auth enforces its scope, and the
 * OpenAPI document is generated from it, so the three cannot disagree.
 */
export interface ApiRoute<Schema extends z.ZodType = z.ZodType> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** OpenAPI-style template: "/api/repos/{name}". */
  readonly path: string;
  /** The least token scope the route needs; "public" needs none. */
  readonly scope: TokenScope | 'public';
  readonly tag: string;
  readonly summary: string;
  readonly query?: readonly QueryParameter[];
  /** Schema of the JSON body; the body is validated before the handler runs. */
  readonly body?: Schema;
  /** The body is a package (raw .deb or multipart/form-data), read by the handler. */
  readonly upload?: true;
  /** The answer is 202 with a task (long operation). */
  readonly task?: true;
  /** Status of a successful answer (default 200; 202 for tasks). */
  readonly status?: number;
  // Method syntax: a route with a narrower body type still fits the table's ApiRoute.
  handler(call: ApiCall<z.output<Schema>>): Promise<ApiReply>;
}

/** Types the handler's body from the schema; the table keeps routes as plain ApiRoute. */
export function route<Schema extends z.ZodType>(r: ApiRoute<Schema>): ApiRoute {
  return r as unknown as ApiRoute;
}

export function ok(body: unknown, status = 200): ApiReply {
  return { status, body };
}

/** 202 with the task and where to watch it. */
export function accepted(task: TaskView): ApiReply {
  return { status: 202, body: { task }, headers: { Location: `/api/tasks/${task.id}` } };
}
