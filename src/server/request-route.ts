import type { ServerResponse } from 'node:http';

const named = new WeakMap<ServerResponse, string>();

/**
 * Lets a handler (the REST API) label its request with its route template ("/api/mirrors/:name")
 * for the request log and metrics; otherwise the server's own coarse template is used.
 */
export function nameRoute(res: ServerResponse, template: string): void {
  named.set(res, template);
}

export function namedRoute(res: ServerResponse): string | undefined {
  return named.get(res);
}
