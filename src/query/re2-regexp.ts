import { RE2JS, RE2JSSyntaxException } from 're2js';

/**
 * aptly's `~` regexps, compiled with re2js: a port of RE2 that parses Go's syntax (it descends
 * from Go's regexp/syntax through RE2/J) and matches in time linear in the value. JavaScript's
 * own RegExp backtracks, so `^(a+)+$` on a long value would hold the event loop for seconds;
 * a query comes from anyone with a read token, so that must not be possible.
 */

export type RegexpResult =
  | { readonly ok: true; readonly test: (value: string) => boolean }
  | { readonly ok: false; readonly message: string };

/** Compiles `pattern` as Go's regexp.Compile does, or says in Go's words why not. */
export function compileRegexp(pattern: string): RegexpResult {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    if (!(err instanceof RE2JSSyntaxException)) throw err;
    // Go's text without its "error parsing regexp: " prefix: the caller says what failed.
    const where = err.getPattern();
    return { ok: false, message: where ? `${err.getDescription()}: \`${where}\`` : err.getDescription() };
  }
  return { ok: true, test: (value) => re.test(value) };
}
