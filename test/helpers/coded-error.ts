/**
 * Matchers for the DebstashError a test expects, to pass to assert.throws / assert.rejects:
 *
 *   await assert.rejects(pool.open(h), isCode('DEBSTASH_E_POOL_NOT_FOUND'));
 *   assert.throws(() => parse(text), rejectsWith('DEBSTASH_E_DEB822_SYNTAX', /line 3/));
 *
 * isCode only answers yes or no (assert then shows the error it caught, and the message given
 * to assert, such as the case of a loop); rejectsWith asserts each part, so that a failure
 * says which part did not match.
 */
import assert from 'node:assert/strict';
import type { ErrorCode } from '../../src/errors/codes.js';
import { DebstashError } from '../../src/errors/debstash-error.js';

/** True for a DebstashError with `code` and, if `pattern` is given, a message it matches. */
export function isCode(code: ErrorCode, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown): boolean => e instanceof DebstashError && e.code === code && (pattern === undefined || pattern.test(e.message));
}

/**
 * Asserts that the error is a DebstashError with `code` and, if given, a message that `check`
 * matches (a RegExp) or that passes `check` (a function that asserts more about it).
 */
export function rejectsWith(code: ErrorCode, check?: RegExp | ((e: DebstashError) => void)): (e: unknown) => true {
  return (e: unknown): true => {
    assert.ok(e instanceof DebstashError, String(e));
    assert.equal(e.code, code, e.message);
    if (check instanceof RegExp) assert.match(e.message, check);
    else check?.(e);
    return true;
  };
}
