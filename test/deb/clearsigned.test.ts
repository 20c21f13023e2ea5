import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { splitClearsigned, splitDetachedSignatures } from '../../src/deb/clearsigned.js';
import { rejectsWith } from '../helpers/coded-error.js';

const SIG = ['-----BEGIN PGP SIGNATURE-----', '', 'iHUEARYKAB0WIQQAAAAAAAAAAAAAAAAAAAAAAAAAAAUCZAAAAAAACgkQAAAAAAAA', '=AAAA', '-----END PGP SIGNATURE-----'];

function message(body: string[], sig: string[] = SIG, headers: string[] = ['Hash: SHA256']): string {
  return ['-----BEGIN PGP SIGNED MESSAGE-----', ...headers, '', ...body, ...sig].join('\n') + '\n';
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

const invalid = (re: RegExp): ((e: unknown) => true) => rejectsWith('DEBSTASH_E_SIGNATURE_INVALID', re);

describe('splitClearsigned', () => {
  test('gives the signed text as apt hands it to gpgv: no final newline, dashes unescaped, trailing blanks gone', () => {
    const parts = splitClearsigned(message(['Origin: Debian  ', '- -not a marker', '- Label: x', '', 'Last: line\t']), 'InRelease');
    assert.equal(text(parts.signed), 'Origin: Debian\n-not a marker\nLabel: x\n\nLast: line');
    assert.deepEqual(parts.hashHeaders, ['SHA256']);
    assert.deepEqual(parts.signatures, [`${SIG.join('\n')}\n`]);
  });

  test('reads CRLF line endings like LF (apt accepts them)', () => {
    const parts = splitClearsigned(message(['A: 1', 'B: 2']).replace(/\n/g, '\r\n'));
    assert.equal(text(parts.signed), 'A: 1\nB: 2');
    assert.equal(parts.signatures.length, 1);
  });

  test('keeps the bytes of non-ASCII text exactly', () => {
    const parts = splitClearsigned(Buffer.from(message(['Description: café ✓'])));
    assert.equal(text(parts.signed), 'Description: café ✓');
  });

  test('accepts several signature blocks, any armor headers, and no Hash header (as apt does)', () => {
    const parts = splitClearsigned(message(['A: 1'], [...SIG, ...SIG], ['Hash: SHA512', 'Comment: hi']));
    assert.equal(parts.signatures.length, 2);
    assert.deepEqual(parts.hashHeaders, ['SHA512']);
    assert.equal(splitClearsigned(message(['A: 1'], SIG, [])).signatures.length, 1);
  });

  test('refuses what apt refuses', () => {
    const good = message(['A: 1']);
    assert.throws(() => splitClearsigned(''), invalid(/empty/));
    assert.throws(() => splitClearsigned(`hello\n${good}`, 'X/InRelease'), invalid(/^X\/InRelease: line 1: does not start with/));
    assert.throws(() => splitClearsigned(`\n${good}`), invalid(/does not start with/));
    assert.throws(() => splitClearsigned('Origin: x\n'), invalid(/does not start with/));
    assert.throws(() => splitClearsigned(`${good}\n`), invalid(/line 10: has text after the signature/));
    assert.throws(() => splitClearsigned(`${good}trailing\n`), invalid(/after the signature/));
    assert.throws(() => splitClearsigned(good + good), invalid(/after the signature/));
    assert.throws(() => splitClearsigned(message(['A: 1', '-B: 2'])), invalid(/line 5: .*not dash-escaped/));
    assert.throws(() => splitClearsigned(message(['A: 1'], SIG, ['-Hash: SHA256'])), invalid(/armor header line starts with a dash/));
    assert.throws(() => splitClearsigned('-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n'), invalid(/ends before the end of the armor headers/));
    assert.throws(() => splitClearsigned(message(['A: 1'], [])), invalid(/ends before "-----BEGIN PGP SIGNATURE-----"/));
    assert.throws(() => splitClearsigned(message(['A: 1'], SIG.slice(0, -1))), invalid(/not closed/));
    assert.throws(() => splitClearsigned(message(['A: 1'], [SIG[0], '-----BEGIN PGP MESSAGE-----', ...SIG.slice(1)])), invalid(/unexpected line starting with a dash/));
  });
});

describe('splitDetachedSignatures', () => {
  test('returns each armored block', () => {
    const one = `${SIG.join('\n')}\n`;
    assert.deepEqual(splitDetachedSignatures(one), [one]);
    assert.deepEqual(splitDetachedSignatures(one + one), [one, one]);
    assert.deepEqual(splitDetachedSignatures(one.replace(/\n/g, '\r\n')), [one]);
  });

  test('refuses binary signatures, stray lines, unclosed blocks and empty files', () => {
    const one = `${SIG.join('\n')}\n`;
    assert.throws(() => splitDetachedSignatures(Uint8Array.of(0x88, 0x75, 0x04), 'Release.gpg'), invalid(/^Release.gpg: is a binary OpenPGP signature/));
    assert.throws(() => splitDetachedSignatures(`<html>\n${one}`), invalid(/line 1: has lines that do not belong/));
    assert.throws(() => splitDetachedSignatures(`${one}\n`), invalid(/do not belong/));
    assert.throws(() => splitDetachedSignatures(SIG.slice(0, -1).join('\n')), invalid(/not closed/));
    assert.throws(() => splitDetachedSignatures(''), invalid(/holds no signature/));
  });
});
