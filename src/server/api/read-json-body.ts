import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { DebstashError } from '../../errors/debstash-error.js';

/** JSON bodies are small requests, never data: a larger one is refused before it is parsed. */
export const JSON_BODY_LIMIT = 1 << 20;

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
}

/** The whole body, at most `limit` bytes (DEBSTASH_E_UPLOAD_TOO_LARGE beyond). */
async function readSmallBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    throw new DebstashError('DEBSTASH_E_UPLOAD_TOO_LARGE', `the JSON body is ${req.headers['content-length']} bytes; at most ${limit} are accepted`, { limit });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new DebstashError('DEBSTASH_E_UPLOAD_TOO_LARGE', `the JSON body is larger than ${limit} bytes`, { limit });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The first problem zod found, named by its field path ("body.source.kind"). */
function usageError(error: z.ZodError): DebstashError {
  const issue = error.issues[0];
  const field = ['body', ...(issue?.path ?? []).map(String)].join('.');
  return new DebstashError('DEBSTASH_E_USAGE', `${field}: ${issue?.message ?? 'invalid'}`, { field, issues: error.issues.length });
}

/**
 * The request's JSON body checked against `schema`. An empty body counts as `{}`, so routes
 * whose fields are all optional can be called without one.
 */
export async function readJsonBody<Schema extends z.ZodType>(req: IncomingMessage, schema: Schema): Promise<z.output<Schema>> {
  const raw = await readSmallBody(req, JSON_BODY_LIMIT);
  let value: unknown = {};
  if (raw.length > 0) {
    if (mediaType(req) !== 'application/json') {
      throw new DebstashError('DEBSTASH_E_MEDIA_TYPE', `the body must be application/json, not ${JSON.stringify(mediaType(req) || 'none')}`, { contentType: mediaType(req) });
    }
    try {
      value = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new DebstashError('DEBSTASH_E_USAGE', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { field: 'body' });
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw usageError(parsed.error);
  return parsed.data;
}
