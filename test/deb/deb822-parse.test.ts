import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DebstashError } from '../../src/errors/debstash-error.js';
import type { ErrorCode } from '../../src/errors/codes.js';
import { parseDeb822, parseDeb822Stream, type Deb822Options } from '../../src/deb/deb822-parse.js';
import { serializeDeb822 } from '../../src/deb/deb822-serialize.js';
import { Paragraph } from '../../src/deb/paragraph.js';

// Canonical files: what an archive or dpkg writes. Each must read and write back byte for byte.

const PACKAGES = `Package: hello
Version: 2.10-3
Installed-Size: 280
Maintainer: Santiago Vila <sanvila@example.org>
Architecture: amd64
Depends: libc6 (>= 2.34)
Conflicts: hello-traditional
Breaks: hello-debhelper (<< 2.9)
Replaces: hello-debhelper (<< 2.9), hello-traditional
Description: example package based on GNU hello
Homepage: https://hello.invalid/
Description-md5: 27c69f1e4d2a9a3a7ee4c2c7e1e2c9a5
Tag: devel::examples, interface::commandline, role::program,
 scope::utility, suite::gnu, use::learning
Section: devel
Priority: optional
Filename: pool/main/h/hello/hello_2.10-3_amd64.deb
Size: 53080
MD5sum: 8a9c4e26ef2d7d3c8ca3c2d0b49b6bcb
SHA256: 3f1e1d4b1a7dd1a2c7b7e1e19c4e5a0e9c4f6d2b8e2a1f0c9d8e7f6a5b4c3d2e

Package: libfoo-dev
Source: foo (1.2-1)
Version: 1.2-1+b1
Architecture: amd64
Multi-Arch: same
Depends: libfoo1 (= 1.2-1+b1)
Description: development files for foo
 Foo does things. This package holds the headers.
 .
 It is an example with a paragraph break.
Filename: pool/main/f/foo/libfoo-dev_1.2-1+b1_amd64.deb
Size: 1024
SHA256: 00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
`;

const RELEASE = `Origin: Debian
Label: Debian
Suite: stable
Version: 12.5
Codename: bookworm
Date: Sat, 10 Feb 2024 09:50:13 UTC
Acquire-By-Hash: yes
No-Support-for-Architecture-all: Packages
Architectures: all amd64 arm64
Components: main contrib non-free-firmware non-free
Description: Debian 12.5 Released 10 February 2024
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
 d0a0325a97c42fd5f66a8c3e29bcea64    98581 contrib/Contents-all.gz
SHA256:
 3957f28db16e3f28c7b34ae84f1c929c567de6970f3f1b95dac9b498dd80fe63   738242 contrib/Contents-all
 3e9a121d599b56c08bc8f144e4830807c77c29d7114316d6984ba54695d3db7b    57319 contrib/Contents-all.gz
 71fdb5e2e5b0ef0e7c4fe61bfa1cd3b6e4b4a39e3f0f6c0b3d2c8a7b8c9d0e1f        0 main/binary-amd64/Packages
`;

const SOURCES = `Package: hello
Binary: hello
Version: 2.10-3
Maintainer: Santiago Vila <sanvila@example.org>
Build-Depends: debhelper-compat (= 13), help2man, texinfo
Architecture: any
Standards-Version: 4.6.2
Format: 3.0 (quilt)
Files:
 c2c5b6d4e9e5bd0b8c0b2fd1e2e1a7c4 1847 hello_2.10-3.dsc
 6cd0ffea3884a4e79330338dcc2987d6 725946 hello_2.10.orig.tar.gz
 d9b9b7e0c5d4c3b2a1f0e9d8c7b6a5f4 12688 hello_2.10-3.debian.tar.xz
Vcs-Browser: https://git.invalid/hello
Checksums-Sha256:
 4b6a3b3ff4d2c8b0a8ec5a9d3b4b1e9a1a8f2d3c4e5f6a7b8c9d0e1f2a3b4c5d 1847 hello_2.10-3.dsc
 31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b 725946 hello_2.10.orig.tar.gz
Package-List:
 hello deb devel optional arch=any
Directory: pool/main/h/hello
Priority: source
Section: devel
`;

const CONTROL = `Source: foo
Section: utils
Priority: optional
Maintainer: Ana Ñúñez <ana@example.org>
Rules-Requires-Root: no

Package: foo
Architecture: any
Depends: \${shlibs:Depends}, \${misc:Depends}
Description: tool with a UTF-8 maintainer — and “quotes”
 Ünïcödé in the long description, a CJK word 漢字 and an emoji 😀.
 .
 	A line indented with a tab stays as written.
`;

const CANONICAL: readonly (readonly [string, string])[] = [
  ['Packages', PACKAGES],
  ['Release', RELEASE],
  ['Sources', SOURCES],
  ['debian/control', CONTROL],
];

function fields(p: Paragraph): [string, string][] {
  return [...p];
}

function shape(ps: readonly Paragraph[]): { line: number; fields: [string, string][] }[] {
  return ps.map((p) => ({ line: p.line, fields: fields(p) }));
}

async function* chunks(parts: readonly (Uint8Array | string)[]): AsyncGenerator<Uint8Array | string> {
  for (const part of parts) yield part;
}

async function collect(input: AsyncIterable<Uint8Array | string>, options?: Deb822Options): Promise<Paragraph[]> {
  const out: Paragraph[] = [];
  for await (const p of parseDeb822Stream(input, options)) out.push(p);
  return out;
}

/** Stream result, with the error (if any) and the paragraphs yielded before it. */
async function settle(
  input: AsyncIterable<Uint8Array | string>,
  options?: Deb822Options,
): Promise<{ paragraphs: Paragraph[]; error: unknown }> {
  const paragraphs: Paragraph[] = [];
  try {
    for await (const p of parseDeb822Stream(input, options)) paragraphs.push(p);
    return { paragraphs, error: undefined };
  } catch (error) {
    return { paragraphs, error };
  }
}

function coded(code: ErrorCode, details: Record<string, unknown> = {}, message?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof DebstashError, `expected a DebstashError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    for (const [k, v] of Object.entries(details)) assert.equal(e.details[k], v, `details.${k} of: ${e.message}`);
    if (message !== undefined) assert.match(e.message, message);
    return true;
  };
}

describe('parseDeb822: canonical files', () => {
  for (const [name, text] of CANONICAL) {
    test(`${name} round-trips byte for byte`, async () => {
      const ps = parseDeb822(text);
      assert.equal(serializeDeb822(ps), text);
      const streamed = await collect(chunks([Buffer.from(text, 'utf8')]));
      assert.equal(serializeDeb822(streamed), text);
      assert.deepEqual(shape(streamed), shape(ps));
    });
  }

  test('values follow the convention', () => {
    const [hello, foo] = parseDeb822(PACKAGES);
    assert.equal(hello.line, 1);
    assert.equal(foo.line, 22);
    assert.equal(hello.get('Package'), 'hello');
    assert.equal(hello.get('Tag'), 'devel::examples, interface::commandline, role::program,\n scope::utility, suite::gnu, use::learning');
    assert.equal(
      foo.get('description'),
      'development files for foo\n Foo does things. This package holds the headers.\n .\n It is an example with a paragraph break.',
    );
    const [release] = parseDeb822(RELEASE);
    assert.equal(
      release.get('MD5Sum'),
      '\n 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all\n d0a0325a97c42fd5f66a8c3e29bcea64    98581 contrib/Contents-all.gz',
    );
    const [source] = parseDeb822(SOURCES);
    assert.equal(source.get('Package-List'), '\n hello deb devel optional arch=any');
    assert.equal(source.get('Files')?.split('\n').length, 4);
    const [, control] = parseDeb822(CONTROL);
    assert.match(control.get('Description') ?? '', /\n \.\n \tA line indented with a tab stays as written\.$/);
  });

  test('blanks around the first line and at the end of continuation lines are dropped', () => {
    const [p] = parseDeb822('A:value\nB:   spaced  \t\nC:\t\nD:  \n  kept  indent  \n\tx\t \nE:\n');
    assert.deepEqual(fields(p), [
      ['A', 'value'],
      ['B', 'spaced'],
      ['C', ''],
      ['D', '\n  kept  indent\n\tx'],
      ['E', ''],
    ]);
  });

  test('colons after the first belong to the value', () => {
    const [p] = parseDeb822('Depends: foo:any (>= 1:2.0)\nURIs: http://mirror.invalid:8080/debian\n');
    assert.equal(p.get('Depends'), 'foo:any (>= 1:2.0)');
    assert.equal(p.get('uris'), 'http://mirror.invalid:8080/debian');
  });

  test('field names may use any printable ASCII but ":"', () => {
    const [p] = parseDeb822('X-Weird!"$%&\'()*+,./;<=>?@[\\]^_`{|}~#-: ok\n');
    assert.deepEqual(p.names, ['X-Weird!"$%&\'()*+,./;<=>?@[\\]^_`{|}~#-']);
  });

  test('an empty or blank text has no paragraphs', () => {
    assert.deepEqual(parseDeb822(''), []);
    assert.deepEqual(parseDeb822('\n\n  \n\t\n\r\n'), []);
    assert.deepEqual(parseDeb822('\uFEFF'), []);
  });
});

describe('parseDeb822: names', () => {
  test('lookup ignores case; names are kept as written', () => {
    const [p] = parseDeb822('package: hello\nVERSION: 1.0\nArchitecture: all\n');
    assert.deepEqual(p.names, ['package', 'VERSION', 'Architecture']);
    assert.equal(p.get('Package'), 'hello');
    assert.equal(p.get('version'), '1.0');
    assert.equal(p.has('ARCHITECTURE'), true);
  });

  test('a repeated field is rejected, whatever its case', () => {
    assert.throws(
      () => parseDeb822('Package: a\nVersion: 1\npackage: b\n', { source: 'Packages' }),
      coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { line: 3, field: 'package', source: 'Packages' }, /^Packages: line 3: .*"package".*"Package"/),
    );
    assert.throws(() => parseDeb822('A: 1\nB: 2\nA: 3\n'), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { line: 3, field: 'A' }));
    // The same names in separate paragraphs are fine, in any order.
    assert.equal(parseDeb822('A: 1\nB: 2\n\nB: 3\nA: 4\n\nA: 5\nb: 6\n').length, 3);
  });

  test('duplicates are found in a paragraph following a known field order', () => {
    const text = 'A: 1\nB: 2\nC: 3\n\nA: 1\nB: 2\nC: 3\nb: 4\n';
    assert.throws(() => parseDeb822(text), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { line: 8, field: 'b' }));
  });

  test('more distinct names than the parser remembers still parse and are still checked', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `Field-${i}: ${i}`);
    const [p] = parseDeb822(`${many.join('\n')}\n`);
    assert.equal(p.size, 5000);
    assert.equal(p.get('field-4999'), '4999');
    assert.throws(
      () => parseDeb822(`${many.join('\n')}\nFIELD-4998: again\n`),
      coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { line: 5001, field: 'FIELD-4998' }),
    );
    assert.throws(
      () => parseDeb822(`${many.join('\n')}\nfield-17: again\n`),
      coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { line: 5001, field: 'field-17' }),
    );
    const second = `${many.slice(0, 10).join('\n')}\n\nfresh-1: a\nFRESH-1: b\n`;
    assert.throws(() => parseDeb822(`${many.join('\n')}\n\n${second}`), coded('DEBSTASH_E_DEB822_DUPLICATE_FIELD', { field: 'FRESH-1' }));
  });

  test('many different field orders parse the same as few', () => {
    const names = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
    const parts: string[] = [];
    let x = 12345;
    for (let i = 0; i < 3000; i++) {
      const order = names.filter(() => ((x = (x * 1103515245 + 12345) & 0x7fffffff) & 4) !== 0);
      order.sort(() => ((x = (x * 1103515245 + 12345) & 0x7fffffff) & 1) - 0.5);
      if (order.length === 0) order.push('A');
      parts.push(order.map((n) => `${n}: ${i}`).join('\n'));
    }
    const text = `${parts.join('\n\n')}\n`;
    const ps = parseDeb822(text);
    assert.equal(ps.length, 3000);
    assert.equal(serializeDeb822(ps), text);
  });

  test('paragraphs with the same field order share one frozen names array', () => {
    const [a, b, c] = parseDeb822('A: 1\nB: 2\n\nA: 3\nB: 4\n\nB: 5\nA: 6\n');
    assert.equal(a.names, b.names);
    assert.notEqual(a.names, c.names);
    assert.ok(Object.isFrozen(a.names));
  });
});

describe('parseDeb822: layout', () => {
  test('CRLF reads like LF', () => {
    for (const [, text] of CANONICAL) {
      const crlf = text.replaceAll('\n', '\r\n');
      assert.deepEqual(shape(parseDeb822(crlf)), shape(parseDeb822(text)));
    }
  });

  test('any run of blank or whitespace-only lines separates paragraphs; lines are counted', () => {
    const text = '\n\nA: 1\nB: 2\n\n\n \t \n\r\nC: 3\n  \nD: 4\n \n';
    const ps = parseDeb822(text);
    assert.deepEqual(shape(ps), [
      { line: 3, fields: [['A', '1'], ['B', '2']] },
      { line: 9, fields: [['C', '3']] },
      { line: 11, fields: [['D', '4']] },
    ]);
  });

  test('the last line needs no newline', () => {
    assert.deepEqual(shape(parseDeb822('A: 1\nB: 2')), [{ line: 1, fields: [['A', '1'], ['B', '2']] }]);
    assert.deepEqual(fields(parseDeb822('A: 1\n more')[0]), [['A', '1\n more']]);
    assert.deepEqual(fields(parseDeb822('A:')[0]), [['A', '']]);
    assert.deepEqual(fields(parseDeb822('A: 1\n\n')[0]), [['A', '1']]);
  });

  test('a byte order mark at the start is ignored', () => {
    assert.deepEqual(shape(parseDeb822('\uFEFFA: 1\n')), [{ line: 1, fields: [['A', '1']] }]);
    assert.throws(() => parseDeb822('A: 1\n\n\uFEFFB: 2\n'), coded('DEBSTASH_E_DEB822_SYNTAX', { line: 3 }), 'only at the start');
  });

  test('a value keeps characters that are not line structure', () => {
    const [p] = parseDeb822('A: x\ry\u0000z \u00a0\nB: # not a comment\n');
    assert.equal(p.get('A'), 'x\ry\u0000z \u00a0', 'only space, tab and CR are trimmed');
    assert.equal(p.get('B'), '# not a comment');
  });
});

describe('parseDeb822: comments', () => {
  const SOURCES_FILE = `# Debian main archive
Types: deb deb-src
URIs: http://mirror.invalid/debian
# two suites
Suites: bookworm bookworm-updates
Components: main
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
# apt allows comments inside a multi-line field
 .
 mDMEZXXX
 -----END PGP PUBLIC KEY BLOCK-----
#
# disabled:
#Types: deb
#URIs: http://mirror.invalid/debian-security

Types: deb
URIs: http://mirror.invalid/debian-security
Suites: bookworm-security
Components: main
Enabled: no
`;

  test('with comments on, # lines are skipped, even inside a field', () => {
    const ps = parseDeb822(SOURCES_FILE, { comments: true });
    assert.equal(ps.length, 2);
    assert.deepEqual(ps[0].names, ['Types', 'URIs', 'Suites', 'Components', 'Signed-By']);
    assert.equal(
      ps[0].get('signed-by'),
      '\n -----BEGIN PGP PUBLIC KEY BLOCK-----\n .\n mDMEZXXX\n -----END PGP PUBLIC KEY BLOCK-----',
    );
    assert.equal(ps[0].line, 2);
    assert.equal(ps[1].line, 18);
    assert.equal(ps[1].get('Enabled'), 'no');
  });

  test('a paragraph of only comments is no paragraph; a comment does not end a paragraph', () => {
    const ps = parseDeb822('# just\n# comments\n\nA: 1\n# c\nB: 2\n\n#\n', { comments: true });
    assert.deepEqual(shape(ps), [{ line: 4, fields: [['A', '1'], ['B', '2']] }]);
  });

  test('only # at column 0 starts a comment', () => {
    const [p] = parseDeb822('A: 1\n # two\n', { comments: true });
    assert.equal(p.get('A'), '1\n # two');
  });

  test('with comments off (the default), a # line is an error', () => {
    assert.throws(() => parseDeb822(SOURCES_FILE), coded('DEBSTASH_E_DEB822_SYNTAX', { line: 1 }, /comments are not allowed/));
    assert.throws(() => parseDeb822('A: 1\n#B: 2\n'), coded('DEBSTASH_E_DEB822_SYNTAX', { line: 2 }, /starts with '#'/));
  });
});

describe('parseDeb822: errors', () => {
  const cases: readonly (readonly [string, string, number, RegExp])[] = [
    ['continuation before any field', ' indented\nA: 1\n', 1, /line 1: continuation line before any field/],
    ['continuation after a blank line', 'A: 1\n\n more\n', 3, /continuation line before any field/],
    ['line without a colon', 'A: 1\njunk\n', 2, /line 2: line has no ':'/],
    ['PGP armour (not our concern, but not deb822)', '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n', 1, /no ':'/],
    ['empty field name', 'A: 1\n: x\n', 2, /field name is empty/],
    ['name starting with -', '-A: 1\n', 1, /starts with '-'/],
    ['blank in a name', 'Field Name: x\n', 1, /contains a blank/],
    ['blank before the colon', 'Field : x\n', 1, /contains a blank/],
    ['control character in a name', 'A\u0001: x\n', 1, /U\+0001/],
    ['non-ASCII name', 'Prénom: x\n', 1, /U\+00E9/],
    ['line starting with CR and text', 'A: 1\n\rB: 2\n', 2, /carriage return/],
  ];
  for (const [what, text, line, message] of cases) {
    test(what, async () => {
      assert.throws(() => parseDeb822(text, { source: 'f' }), coded('DEBSTASH_E_DEB822_SYNTAX', { line, source: 'f' }, message));
      await assert.rejects(collect(chunks([text]), { source: 'f' }), coded('DEBSTASH_E_DEB822_SYNTAX', { line, source: 'f' }));
    });
  }

  test('the message names the source first', () => {
    assert.throws(() => parseDeb822('x\n', { source: 'dists/bookworm/Release' }), coded('DEBSTASH_E_DEB822_SYNTAX', {}, /^dists\/bookworm\/Release: line 1: /));
    assert.throws(() => parseDeb822('x\n'), coded('DEBSTASH_E_DEB822_SYNTAX', {}, /^line 1: /));
  });

  test('maxParagraphBytes bounds each paragraph, newlines included', () => {
    const text = 'A: 12345\nB: 6\n\nC: 1\n'; // first paragraph: 14 bytes
    assert.equal(parseDeb822(text, { maxParagraphBytes: 14 }).length, 2);
    assert.throws(
      () => parseDeb822(text, { maxParagraphBytes: 13, source: 's' }),
      coded('DEBSTASH_E_DEB822_TOO_LARGE', { line: 1, limit: 13, source: 's' }, /paragraph is larger than 13 bytes/),
    );
    assert.throws(() => parseDeb822('A: 1\n\nB: 123456789\n', { maxParagraphBytes: 8 }), coded('DEBSTASH_E_DEB822_TOO_LARGE', { line: 3 }));
    assert.throws(() => parseDeb822('A: 1', { maxParagraphBytes: 0 }), RangeError);
  });
});

describe('parseDeb822Stream', () => {
  const SMALL = Buffer.from(
    '\uFEFFPackage: café\r\nMaintainer: Zoë €uro <z@example.org>\r\nDescription: 😀 emoji\n 漢字 line\n .\n last  \n\n\n' +
      '# comment é\nPackage: b\nX: \n y\n# é inside\n z\n\n \nPackage: c\nEmpty:\nTail: t',
    'utf8',
  );
  const OPTIONS: Deb822Options = { comments: true };

  test('reads the same as parseDeb822 however the bytes are cut', async () => {
    const expected = shape(parseDeb822(SMALL.toString('utf8'), OPTIONS));
    assert.equal(expected.length, 3);
    assert.equal(expected[0].fields[0][1], 'café');
    for (let i = 0; i <= SMALL.length; i++) {
      const parts = [SMALL.subarray(0, i), SMALL.subarray(i)];
      assert.deepEqual(shape(await collect(chunks(parts), { ...OPTIONS, batchBytes: 1 })), expected, `cut at ${i}`);
      assert.deepEqual(shape(await collect(chunks(parts), OPTIONS)), expected, `cut at ${i}, default batch`);
      for (let j = i; j <= SMALL.length; j += 7) {
        const three = [SMALL.subarray(0, i), SMALL.subarray(i, j), SMALL.subarray(j)];
        assert.deepEqual(shape(await collect(chunks(three), { ...OPTIONS, batchBytes: 5 })), expected, `cut at ${i}, ${j}`);
      }
    }
    const bytes = [...SMALL].map((b) => Uint8Array.of(b));
    assert.deepEqual(shape(await collect(chunks(bytes), { ...OPTIONS, batchBytes: 1 })), expected, 'one byte at a time');
    assert.deepEqual(shape(await collect(chunks(bytes), { ...OPTIONS, batchBytes: 2 })), expected, 'two bytes at a time');
  });

  test('string chunks work too, cut anywhere', async () => {
    const text = SMALL.toString('utf8');
    const expected = shape(parseDeb822(text, OPTIONS));
    for (let i = 0; i <= text.length; i++) {
      const parts = [text.slice(0, i), text.slice(i)];
      assert.deepEqual(shape(await collect(chunks(parts), { ...OPTIONS, batchBytes: 3 })), expected, `cut at ${i}`);
    }
    const mixed = [text.slice(0, 20), SMALL.subarray(Buffer.byteLength(text.slice(0, 20)), 60), SMALL.subarray(60)];
    assert.deepEqual(shape(await collect(chunks(mixed), OPTIONS)), expected);
  });

  test('canonical files stream the same at small batch sizes', async () => {
    for (const [name, text] of CANONICAL) {
      const bytes = Buffer.from(text, 'utf8');
      for (const batchBytes of [1, 3, 17, 100]) {
        const parts: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += 13) parts.push(bytes.subarray(i, i + 13));
        const ps = await collect(chunks(parts), { batchBytes });
        assert.equal(serializeDeb822(ps), text, `${name} at ${batchBytes}`);
      }
    }
  });

  test('yields paragraphs as they complete', async () => {
    let pulled = 0;
    async function* slow(): AsyncGenerator<string> {
      for (const part of ['A: 1\n\nB: 2\n', '\nC: 3\n', '\n']) {
        pulled++;
        yield part;
      }
    }
    const seen: number[] = [];
    for await (const p of parseDeb822Stream(slow(), { batchBytes: 1 })) seen.push(p.line * 10 + pulled);
    assert.deepEqual(seen, [11, 32, 53]);
  });

  test('a byte order mark is ignored only at the start', async () => {
    const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
    const a = Buffer.from('A: 1\n');
    for (const batchBytes of [1, 2, 1 << 20]) {
      const ps = await collect(chunks([bom.subarray(0, 1), bom.subarray(1, 2), bom.subarray(2), a]), { batchBytes });
      assert.deepEqual(shape(ps), [{ line: 1, fields: [['A', '1']] }]);
    }
    assert.deepEqual(await collect(chunks([bom])), []);
    await assert.rejects(collect(chunks(['A: 1\n\n', bom, a])), coded('DEBSTASH_E_DEB822_SYNTAX', { line: 3 }));
  });

  describe('invalid UTF-8', () => {
    const bad: readonly (readonly [string, number[]])[] = [
      ['stray continuation byte', [0x80]],
      ['lead byte without continuation', [0xc3, 0x41]],
      ['overlong encoding', [0xc0, 0xaf]],
      ['overlong three-byte', [0xe0, 0x80, 0xaf]],
      ['UTF-16 surrogate', [0xed, 0xa0, 0x80]],
      ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
      ['invalid byte 0xFF', [0xff]],
    ];
    for (const [what, seq] of bad) {
      test(`${what} is DEBSTASH_E_ENCODING on its line`, async () => {
        const bytes = Buffer.concat([Buffer.from('A: 1\n\nB: x'), Buffer.from(seq), Buffer.from('y\nC: 2\n\nD: 3\n')]);
        for (const batchBytes of [1, 4, 1 << 20]) {
          for (const cut of [0, 9, 10, 11, 12]) {
            const result = await settle(chunks([bytes.subarray(0, cut), bytes.subarray(cut)]), { batchBytes, source: 'P' });
            coded('DEBSTASH_E_ENCODING', { line: 3, source: 'P' }, /^P: line 3: text is not valid UTF-8/)(result.error);
            assert.deepEqual(shape(result.paragraphs), [{ line: 1, fields: [['A', '1']] }], 'paragraphs before it are yielded');
          }
        }
      });
    }

    test('a character cut off at the end is DEBSTASH_E_ENCODING', async () => {
      for (const tail of [[0xc3], [0xe2, 0x82], [0xf0, 0x9f, 0x98]]) {
        const bytes = Buffer.concat([Buffer.from('A: 1\nB: x'), Buffer.from(tail)]);
        await assert.rejects(collect(chunks([bytes])), coded('DEBSTASH_E_ENCODING', { line: 2 }));
        await assert.rejects(collect(chunks([bytes]), { batchBytes: 1 }), coded('DEBSTASH_E_ENCODING', { line: 2 }));
      }
    });

    test('a character cut off by a string chunk is DEBSTASH_E_ENCODING', async () => {
      await assert.rejects(collect(chunks([Uint8Array.of(0x41, 0x3a, 0xc3), 'x\n'])), coded('DEBSTASH_E_ENCODING'));
    });
  });

  test('non-ASCII values decode right wherever they fall, including across batches', async () => {
    const lines = ['Package: p', 'Maintainer: Ñandú €', 'Description: 漢字 x', ' 😀 and more  ', ' .', ' tail é'];
    const text = `${lines.join('\n')}\n\nA: é\n`;
    const expected = shape(parseDeb822(text));
    assert.equal(expected[0].fields[2][1], '漢字 x\n 😀 and more\n .\n tail é');
    for (const batchBytes of [1, 2, 3, 5, 8, 13, 1000]) {
      assert.deepEqual(shape(await collect(chunks([Buffer.from(text)]), { batchBytes })), expected, `batch ${batchBytes}`);
    }
  });

  test('a paragraph spanning batches keeps all its values', async () => {
    const text = `${Array.from({ length: 200 }, (_, i) => `F${i}: value ${i}\n more ${i}`).join('\n')}\n`;
    const [p] = await collect(chunks([Buffer.from(text)]), { batchBytes: 64 });
    assert.equal(p.size, 200);
    assert.equal(p.get('F0'), 'value 0\n more 0');
    assert.equal(p.get('F199'), 'value 199\n more 199');
    assert.equal(serializeDeb822([p]), text);
  });

  test('a 100 MB field fails fast with DEBSTASH_E_DEB822_TOO_LARGE', async () => {
    const mib = Buffer.alloc(1 << 20, 0x61);
    let pulled = 0;
    async function* huge(): AsyncGenerator<Uint8Array | string> {
      yield 'Package: evil\nDescription: ';
      for (let i = 0; i < 100; i++) {
        pulled++;
        yield mib;
      }
      yield '\n';
    }
    const started = Date.now();
    await assert.rejects(collect(huge(), { source: 'evil' }), coded('DEBSTASH_E_DEB822_TOO_LARGE', { line: 1, source: 'evil' }));
    assert.ok(pulled <= 34, `stopped after ${pulled} MiB, at the 32 MiB limit`);
    assert.ok(Date.now() - started < 5000, 'quickly');
  });

  test('many continuation lines fail the same way, and so does a huge line outside any paragraph', async () => {
    const line = Buffer.from(` ${'b'.repeat(1023)}\n`);
    let pulled = 0;
    async function* lines(): AsyncGenerator<Uint8Array | string> {
      yield 'A: 1\n\nDescription: x\n';
      for (let i = 0; i < 4096; i++) {
        pulled++;
        yield line;
      }
    }
    await assert.rejects(collect(lines(), { maxParagraphBytes: 1 << 20 }), coded('DEBSTASH_E_DEB822_TOO_LARGE', { line: 3 }));
    assert.ok(pulled <= 1025 + 1024, `pulled ${pulled} KiB`);

    async function* comment(): AsyncGenerator<string> {
      yield '#';
      for (let i = 0; i < 1000; i++) yield 'c'.repeat(1024);
    }
    await assert.rejects(collect(comment(), { comments: true, maxParagraphBytes: 100_000 }), coded('DEBSTASH_E_DEB822_TOO_LARGE'));
  });

  test('a non-ASCII field name is reported as written', async () => {
    await assert.rejects(
      collect(chunks([Buffer.from('Prénom: x\n')])),
      coded('DEBSTASH_E_DEB822_SYNTAX', { line: 1, field: 'Prénom' }, /field name "Prénom" contains a non-ASCII character/),
    );
  });

  test('batchBytes must be a positive integer', async () => {
    for (const batchBytes of [0, -1, 1.5, Number.NaN]) {
      await assert.rejects(collect(chunks(['A: 1\n']), { batchBytes }), RangeError);
    }
  });

  test('the stream limit counts UTF-8 bytes', async () => {
    const text = 'A: ééé\n'; // 10 bytes, 7 UTF-16 code units
    assert.equal((await collect(chunks([text]), { maxParagraphBytes: 10 })).length, 1);
    await assert.rejects(collect(chunks([text]), { maxParagraphBytes: 9 }), coded('DEBSTASH_E_DEB822_TOO_LARGE'));
    assert.equal(parseDeb822(text, { maxParagraphBytes: 7 }).length, 1);
  });

  test('an error from the input is passed on after the paragraphs before it', async () => {
    async function* failing(): AsyncGenerator<string> {
      yield 'A: 1\n\nB: 2\n\n';
      throw new Error('disk on fire');
    }
    const result = await settle(failing());
    assert.equal((result.error as Error).message, 'disk on fire');
    assert.equal(result.paragraphs.length, 2);
  });

  test('stopping early closes the input', async () => {
    let closed = false;
    async function* endless(): AsyncGenerator<string> {
      try {
        for (let i = 0; ; i++) yield `A: ${i}\n\n`;
      } finally {
        closed = true;
      }
    }
    for await (const p of parseDeb822Stream(endless(), { batchBytes: 1 })) if (p.get('A') === '5') break;
    assert.equal(closed, true);
  });
});
