import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { authenticate } from '../../auth/authenticate.js';
import type { ConfiguredToken } from '../../auth/configured-token.js';
import { scopeAllows } from '../../auth/token-scope.js';
import { DebstashError } from '../../errors/debstash-error.js';
import type { Context } from '../../model/context.js';
import { clientAddress } from '../client-address.js';
import type { Metrics } from '../metrics.js';
import { nameRoute } from '../request-route.js';
import type { ApiRoute, ApiServices } from './api-route.js';
import { apiState } from './api-state.js';
import { asApiError, sendError, sendJson } from './json-reply.js';
import { matchRoute } from './match-route.js';
import type { RateLimiter } from './rate-limiter.js';
import { readJsonBody } from './read-json-body.js';
import { DEFAULT_UPLOAD_LIMIT_BYTES } from './receive-upload.js';
import { API_ROUTES } from './route-table.js';

export interface ApiEnvironment {
  readonly metrics: Metrics;
  /** The request's logger (carries its request id). */
  readonly log: Logger;
  /** Tokens from debstash.yaml (plain secrets from the environment), besides the stored ones. */
  readonly tokens: readonly ConfiguredToken[];
  /** Largest package upload in bytes (default 512 MiB). */
  readonly uploadLimitBytes?: number;
  /** Rate limits of writes and searches, per address and per token; none without. */
  readonly rateLimits?: ApiRateLimits;
  /**
   * The APT tree is public: routes of scope read need no token either (what a mirror has and
   * how it is made is no more secret than the packages it serves). Writes always need one.
   */
  readonly publicReads?: boolean;
}

export interface ApiRateLimits {
  readonly write: RateLimiter;
  readonly search: RateLimiter;
}

/** Writes change state and searches cost CPU: the two kinds a client can hurt the server with. */
function limitedAs(route: ApiRoute): keyof ApiRateLimits | undefined {
  if (route.scope === 'write' || route.scope === 'admin') return 'write';
  if (route.path === '/api/packages') return 'search';
  return undefined;
}

/**
 * 401 or 403 unless the request's token has the route's scope; failures are logged without the
 * secret. The token's name, when one was given and is valid.
 */
async function authorize(ctx: Context, req: IncomingMessage, route: ApiRoute, env: ApiEnvironment): Promise<string | undefined> {
  if (route.scope === 'public') return undefined;
  // A token that is sent is still checked: a wrong one is a 401, not an anonymous read.
  if (route.scope === 'read' && env.publicReads === true && req.headers.authorization === undefined) return undefined;
  const who = await authenticate(ctx.store, req.headers.authorization, env.tokens);
  if (!who.ok) {
    env.log.warn({ reason: who.reason, ...(who.fingerprint ? { fingerprint: who.fingerprint } : {}), route: route.path, remote: clientAddress(req) }, 'API authentication failed');
    const message = who.reason === 'missing' ? `${route.method} ${route.path} needs a token of scope ${route.scope}` : 'the token is not valid (unknown, revoked or malformed)';
    throw new DebstashError('DEBSTASH_E_UNAUTHORIZED', message, { needed: route.scope, reason: who.reason });
  }
  if (!scopeAllows(who.scope, route.scope)) {
    env.log.warn({ token: who.name, scope: who.scope, needed: route.scope, route: route.path }, 'API request refused: scope too low');
    throw new DebstashError('DEBSTASH_E_FORBIDDEN', `${route.method} ${route.path} needs scope ${route.scope}; token "${who.name}" has ${who.scope}`, { needed: route.scope, scope: who.scope, token: who.name });
  }
  return who.name;
}

function errorHeaders(err: DebstashError): Record<string, string> {
  if (err.code === 'DEBSTASH_E_UNAUTHORIZED') return { 'WWW-Authenticate': `Bearer realm="debstash"${err.details.reason === 'missing' ? '' : ', error="invalid_token"'}` };
  if (err.code === 'DEBSTASH_E_METHOD_NOT_ALLOWED') return { Allow: String(err.details.allow) };
  if (err.code === 'DEBSTASH_E_RATE_LIMITED') return { 'Retry-After': String(err.details.retryAfter) };
  return {};
}

/**
 * Everything under `/api/`: finds the route in the route table, checks the token's scope,
 * validates the body, runs the handler (which calls the same model functions as the CLI), and
 * answers JSON, a coded error body, or a task. Names the request's route template for the
 * server's request log and metrics.
 */
export async function handleApi(ctx: Context, req: IncomingMessage, res: ServerResponse, env: ApiEnvironment): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  try {
    const match = matchRoute(API_ROUTES, req.method ?? 'GET', path);
    if (match.kind === 'none') throw new DebstashError('DEBSTASH_E_ROUTE_NOT_FOUND', `no API route ${path}`, { path });
    if (match.kind === 'wrong-method') {
      const allow = match.allow.join(', ');
      throw new DebstashError('DEBSTASH_E_METHOD_NOT_ALLOWED', `${path} does not take ${req.method}; it takes ${allow}`, { method: req.method, allow });
    }
    const { route, params } = match;
    nameRoute(res, route.path);
    const limited = limitedAs(route);
    const limiter = limited !== undefined ? env.rateLimits?.[limited] : undefined;
    // The address pays before authentication, so guessing tokens is limited too.
    limiter?.take(`addr:${clientAddress(req) ?? '?'}`, limited ?? '');
    const token = await authorize(ctx, req, route, env);
    if (token !== undefined) limiter?.take(`token:${token}`, limited ?? '');
    const services: ApiServices = { ctx, ...apiState(ctx, env.metrics), uploadLimitBytes: env.uploadLimitBytes ?? DEFAULT_UPLOAD_LIMIT_BYTES };
    const body: unknown = route.body !== undefined ? await readJsonBody(req, route.body) : undefined;
    const reply = await route.handler({ req, res, params, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)), body, services });
    if (!('streamed' in reply)) sendJson(res, reply.status, reply.body, reply.headers);
  } catch (err) {
    const coded = asApiError(err);
    if (coded.code === 'DEBSTASH_E_INTERNAL') env.log.error({ err }, 'API request failed');
    if (res.headersSent) {
      res.destroy();
    } else {
      // A body left unread (a refused upload) would otherwise hold the connection.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, coded, errorHeaders(coded));
    }
  }
}
