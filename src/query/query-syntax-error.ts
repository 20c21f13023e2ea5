import { DebstashError } from '../errors/debstash-error.js';

/** Longest piece of the query quoted back in a message, so a huge query gives a short line. */
const MAX_QUOTED = 60;

/** Quotes a piece of the query for a message, keeping its end (the part next to the problem). */
export function quoteQueryText(text: string): string {
  const t = text.trim();
  const cut = t.length > MAX_QUOTED ? `…${t.slice(t.length - MAX_QUOTED)}` : t;
  return JSON.stringify(cut);
}

/** The one error a malformed query raises; `column` is 1-based, counted in characters. */
export function querySyntaxError(query: string, column: number, message: string): DebstashError {
  return new DebstashError('DEBSTASH_E_QUERY_SYNTAX', `column ${column}: ${message}`, {
    query: query.length > 1000 ? `${query.slice(0, 1000)}…` : query,
    column,
  });
}
