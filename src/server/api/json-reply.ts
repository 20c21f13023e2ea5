import type { ServerResponse } from 'node:http';
import { DebstashError, isDebstashError } from '../../errors/debstash-error.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const bytes = Buffer.from(`${JSON.stringify(body)}\n`, 'utf8');
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', bytes.length);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(bytes);
}

/** Any failure as the coded error the API answers with; an uncoded one is a bug (500). */
export function asApiError(err: unknown): DebstashError {
  if (isDebstashError(err)) return err;
  return new DebstashError('DEBSTASH_E_INTERNAL', 'internal error', {}, { cause: err });
}

/** `{"error": {code, message, hint, details}}` with the code's status. */
export function sendError(res: ServerResponse, err: DebstashError, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, err.httpStatus, { error: err.toJSON() }, headers);
}
