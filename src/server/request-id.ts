import { randomBytes } from 'node:crypto';

/** An id a proxy in front may have given the request: kept when it is short and plain. */
const FORWARDED_ID = /^[\w.:-]{1,128}$/;

/**
 * Request ids of one server: the `X-Request-Id` a proxy in front sent, else this process's
 * random prefix and a counter (unique without a random draw per request).
 */
export function requestIds(): (forwarded: string | string[] | undefined) => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return (forwarded) => (typeof forwarded === 'string' && FORWARDED_ID.test(forwarded) ? forwarded : `${prefix}-${(++n).toString(36)}`);
}
