import assert from 'node:assert/strict';
import { test } from 'node:test';
import { presentedSecret } from '../../src/auth/authenticate.js';
import { scopeAllows } from '../../src/auth/token-scope.js';
import { newTokenSecret, secretFingerprint, secretHash } from '../../src/auth/token-secret.js';
import { rejectsWith } from '../helpers/coded-error.js';
import { parseScope } from '../../src/auth/token-scope.js';

test('the secret of an Authorization header: bearer, or basic-auth password', () => {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const cases: [string | undefined, string | undefined | null][] = [
    [undefined, undefined],
    ['', undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    [`Basic ${b64('user:pa:ss')}`, 'pa:ss'],
    [`Basic ${b64(':secret')}`, 'secret'],
    [`Basic ${b64('user:')}`, null],
    [`Basic ${b64('no-colon')}`, null],
    ['Token abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
  ];
  for (const [header, secret] of cases) assert.equal(presentedSecret(header), secret, String(header));
});

test('scopes nest: admin ⊃ write ⊃ read', () => {
  assert.ok(scopeAllows('admin', 'read') && scopeAllows('admin', 'write') && scopeAllows('write', 'read') && scopeAllows('read', 'read'));
  assert.ok(!scopeAllows('read', 'write') && !scopeAllows('write', 'admin'));
  assert.equal(parseScope('write'), 'write');
  assert.throws(() => parseScope('root'), rejectsWith('DEBSTASH_E_USAGE', /root/));
});

test('secrets are 32 random bytes; the hash is SHA-256; the fingerprint is short and not the hash', () => {
  const a = newTokenSecret();
  assert.match(a, /^dst_[A-Za-z0-9_-]{43}$/);
  assert.notEqual(a, newTokenSecret());
  assert.equal(secretHash(a).length, 32);
  assert.match(secretFingerprint(a), /^[0-9a-f]{8}$/);
  assert.ok(!secretHash(a).toString('hex').startsWith(secretFingerprint(a)));
});
