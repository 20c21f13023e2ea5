import { DebstashError } from '../../errors/debstash-error.js';

/** Node's connection failures and PostgreSQL's "not accepting connections now" states. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006']);
/** invalid_authorization_specification, invalid_password. */
const AUTH = new Set(['28000', '28P01']);

const codeOf = (err: unknown): string | undefined => (err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined);

/**
 * A coded error for a failure of the PostgreSQL store; `where` is the redacted URL. Messages
 * of pg name hosts and users, never the password, and the URL is only ever shown redacted.
 */
export function pgStoreError(err: unknown, what: string, where: string): unknown {
  if (err instanceof DebstashError) return err;
  const code = codeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  const timedOut = /timeout|timed out|Connection terminated/i.test(message);
  if (code !== undefined && AUTH.has(code)) {
    return new DebstashError('DEBSTASH_E_STORE_AUTH', `${what}: ${where} refused the login (${message})`, { store: where, sqlstate: code }, { cause: err });
  }
  if ((code !== undefined && UNREACHABLE.has(code)) || (code === undefined && timedOut)) {
    return new DebstashError('DEBSTASH_E_STORE_UNREACHABLE', `${what}: cannot reach ${where} (${code ?? message})`, { store: where, ...(code !== undefined ? { reason: code } : {}) }, { cause: err });
  }
  if (code !== undefined) return new DebstashError('DEBSTASH_E_STORE', `${what}: ${message}`, { store: where, sqlstate: code }, { cause: err });
  return err;
}
