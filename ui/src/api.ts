import { getToken } from './token';

/** An API error body (docs/api.md "Errors"), or a failure to reach the server. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token === '' ? {} : { authorization: `Bearer ${token}` };
}

/** A JSON request to the same origin's REST API, with the session's token when there is one. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', `the server did not answer (${String(err)})`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const e = (json as { error?: { code: string; message: string; details?: Record<string, unknown> } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? text.slice(0, 200), e?.details ?? {});
  }
  return json as T;
}

export const get = <T>(path: string): Promise<T> => api<T>('GET', path);

export function prefixQuery(prefix: string): string {
  return prefix === '' ? '' : `?prefix=${encodeURIComponent(prefix)}`;
}
