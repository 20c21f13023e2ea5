import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { compressionFromExtension, detectCompression } from '../../../src/deb/compression/detect-compression.js';
import { isCode } from '../../helpers/coded-error.js';

const sample = Buffer.from('Package: foo\nVersion: 1\n\n');

describe('detectCompression', () => {
  test('recognises what the system tools write', () => {
    assert.equal(detectCompression(execFileSync('gzip', ['-c'], { input: sample })), 'gzip');
    assert.equal(detectCompression(execFileSync('xz', ['-c'], { input: sample })), 'xz');
    assert.equal(detectCompression(execFileSync('bzip2', ['-c'], { input: sample })), 'bzip2');
    assert.equal(detectCompression(execFileSync('bzip2', ['-c'], { input: Buffer.alloc(0) })), 'bzip2');
    assert.equal(detectCompression(execFileSync('zstd', ['-c', '-q'], { input: sample })), 'zstd');
  });

  test('plain text, short input and look-alikes are none', () => {
    assert.equal(detectCompression(sample), 'none');
    assert.equal(detectCompression(new Uint8Array(0)), 'none');
    assert.equal(detectCompression(Buffer.from([0x1f])), 'none');
    assert.equal(detectCompression(Buffer.from('BZh9 is how a bzip2 file starts')), 'none');
    assert.equal(detectCompression(Buffer.from('!<arch>\n')), 'none');
  });

  test('zstd skippable frames count as zstd', () => {
    assert.equal(detectCompression(Buffer.from([0x5a, 0x2a, 0x4d, 0x18, 0, 0, 0, 0])), 'zstd');
  });
});

describe('compressionFromExtension', () => {
  test('index and member names', () => {
    assert.equal(compressionFromExtension('Packages.gz'), 'gzip');
    assert.equal(compressionFromExtension('dists/x/main/binary-amd64/Packages.xz'), 'xz');
    assert.equal(compressionFromExtension('Sources.bz2'), 'bzip2');
    assert.equal(compressionFromExtension('data.tar.zst'), 'zstd');
    assert.equal(compressionFromExtension('Contents.zstd'), 'zstd');
    assert.equal(compressionFromExtension('Packages'), 'none');
    assert.equal(compressionFromExtension('control.tar'), 'none');
    assert.equal(compressionFromExtension('dir.gz/Packages'), 'none');
  });

  test('.lzma is refused rather than read as plain', () => {
    assert.throws(
      () => compressionFromExtension('data.tar.lzma'),
      isCode('DEBSTASH_E_COMPRESSION_UNSUPPORTED', /data\.tar\.lzma/),
    );
  });
});
