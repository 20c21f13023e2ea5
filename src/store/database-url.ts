import { DebstashError } from '../errors/debstash-error.js';

/** A PostgreSQL URL as the user gave it, and the form of it that may be printed. */
export interface DatabaseUrl {
  readonly url: string;
  /** The URL with its password replaced by `***`: the only form messages and logs show. */
  readonly redacted: string;
}

/** `url` without its password; a text that does not parse as a URL is not shown at all. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    // Where a password sits in text that is no URL cannot be known: none of it is shown.
    return '(not shown: not a URL)';
  }
}

/** Checks that `url` names a PostgreSQL database; `from` says where it came from, for the error. */
export function parseDatabaseUrl(url: string, from: string): DatabaseUrl {
  const redacted = redactDatabaseUrl(url);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from} is not a URL`, { from });
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from}: "${redacted}" is not a postgres:// URL`, { from, url: redacted });
  }
  if (u.hostname === '' || u.pathname.length < 2) {
    throw new DebstashError('DEBSTASH_E_CONFIG_DATABASE_URL', `${from}: "${redacted}" names no host or no database`, { from, url: redacted });
  }
  return { url, redacted };
}
