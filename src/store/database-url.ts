import { DebstashError } from '../errors/debstash-error.js';

/** A PostgreSQL URL as the user gave it, and the form of it that may be printed. */
export interface DatabaseUrl {
  readonly url: string;
  /** The URL with its password replaced by `***`: the only form messages and logs show. */
  readonly redacted: string;
}

/** `url` without its password (anything that does not parse is shown as a placeholder, whole). */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    // An unparsable URL may still hold a password: show only where it would go.
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** Checks that `url` names a PostgreSQL database; `from` says where it came from, for the error. */
export function parseDatabaseUrl(url: string, from: string): DatabaseUrl {
  const redacted = redactDatabaseUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from}: "${redacted}" is not a URL`, { from, url: redacted });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from}: "${redacted}" is not a postgres:// URL`, { from, url: redacted });
  }
  if (u.hostname === '' || u.pathname.length < 2) {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from}: "${redacted}" names no host or no database`, { from, url: redacted });
  }
  return { url, redacted };
}
