import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { DebstashError } from '../../src/errors/debstash-error.js';
import {
  formatRelation,
  formatRelations,
  parseProvides,
  parseRelation,
  parseRelations,
  type Alternatives,
  type Relation,
} from '../../src/deb/relation.js';

// Fields as they appear in Debian bookworm's Packages and Sources (a few shortened).
const REAL_WORLD: readonly (readonly [string, Alternatives[]])[] = [
  [
    'apache2-bin (= 2.4.71-1~deb12u1), apache2-data (= 2.4.71-1~deb12u1), lsb-base, media-types, perl:any, procps',
    [
      [{ name: 'apache2-bin', op: '=', version: '2.4.71-1~deb12u1' }],
      [{ name: 'apache2-data', op: '=', version: '2.4.71-1~deb12u1' }],
      [{ name: 'lsb-base' }],
      [{ name: 'media-types' }],
      [{ name: 'perl', archQualifier: 'any' }],
      [{ name: 'procps' }],
    ],
  ],
  [
    'adduser, debconf (>= 0.5) | debconf-2.0, python3:any',
    [
      [{ name: 'adduser' }],
      [{ name: 'debconf', op: '>=', version: '0.5' }, { name: 'debconf-2.0' }],
      [{ name: 'python3', archQualifier: 'any' }],
    ],
  ],
  [
    'apt-transport-https (<< 1.5~alpha4~), apt-utils (<< 1.3~exp2~), aptitude (<< 0.8.10)',
    [
      [{ name: 'apt-transport-https', op: '<<', version: '1.5~alpha4~' }],
      [{ name: 'apt-utils', op: '<<', version: '1.3~exp2~' }],
      [{ name: 'aptitude', op: '<<', version: '0.8.10' }],
    ],
  ],
  ['libavcodec59 (= 7:5.1.9-0+deb12u1)', [[{ name: 'libavcodec59', op: '=', version: '7:5.1.9-0+deb12u1' }]]],
  [
    'debhelper-compat (= 13), help2man <!nodoc>, nodejs <!nodoc> <!nocheck>',
    [
      [{ name: 'debhelper-compat', op: '=', version: '13' }],
      [{ name: 'help2man', profiles: [[{ negated: true, name: 'nodoc' }]] }],
      [{ name: 'nodejs', profiles: [[{ negated: true, name: 'nodoc' }], [{ negated: true, name: 'nocheck' }]] }],
    ],
  ],
  [
    'libsystemd-dev (>= 209) [linux-any], cargo:native <!nocheck>, libusb-1.0-0-dev [!kfreebsd-any]',
    [
      [{ name: 'libsystemd-dev', op: '>=', version: '209', arches: [{ negated: false, arch: 'linux-any' }] }],
      [{ name: 'cargo', archQualifier: 'native', profiles: [[{ negated: true, name: 'nocheck' }]] }],
      [{ name: 'libusb-1.0-0-dev', arches: [{ negated: true, arch: 'kfreebsd-any' }] }],
    ],
  ],
  [
    'gdb:native [!riscv64 !mipsel !mips64el], python3-docutils [linux-any] <!nodoc !pkg.linux.notools !stage1>',
    [
      [
        {
          name: 'gdb',
          archQualifier: 'native',
          arches: [
            { negated: true, arch: 'riscv64' },
            { negated: true, arch: 'mipsel' },
            { negated: true, arch: 'mips64el' },
          ],
        },
      ],
      [
        {
          name: 'python3-docutils',
          arches: [{ negated: false, arch: 'linux-any' }],
          profiles: [
            [
              { negated: true, name: 'nodoc' },
              { negated: true, name: 'pkg.linux.notools' },
              { negated: true, name: 'stage1' },
            ],
          ],
        },
      ],
    ],
  ],
  [
    'qemu-system [i386 kfreebsd-i386 kopensolaris-i386 any-amd64], gfortran | fortran-compiler',
    [
      [
        {
          name: 'qemu-system',
          arches: [
            { negated: false, arch: 'i386' },
            { negated: false, arch: 'kfreebsd-i386' },
            { negated: false, arch: 'kopensolaris-i386' },
            { negated: false, arch: 'any-amd64' },
          ],
        },
      ],
      [{ name: 'gfortran' }, { name: 'fortran-compiler' }],
    ],
  ],
  [
    'libc6 (>= 2.34), libstdc++6 (>= 13.1), libx11-6, libxml++2.6-2v5 (>= 2.40.1), g++-12:amd64',
    [
      [{ name: 'libc6', op: '>=', version: '2.34' }],
      [{ name: 'libstdc++6', op: '>=', version: '13.1' }],
      [{ name: 'libx11-6' }],
      [{ name: 'libxml++2.6-2v5', op: '>=', version: '2.40.1' }],
      [{ name: 'g++-12', archQualifier: 'amd64' }],
    ],
  ],
];

// Input -> canonical text: whitespace, legacy operators, a trailing comma.
const CANONICAL: readonly (readonly [string, string])[] = [
  ['', ''],
  ['  \n\t ', ''],
  ['a', 'a'],
  ['a,b|c', 'a, b | c'],
  ['a(>=1)', 'a (>= 1)'],
  ['a ( >=  1:2.0-1 )', 'a (>= 1:2.0-1)'],
  ['a(>=1)[amd64]<!nocheck>', 'a (>= 1) [amd64] <!nocheck>'],
  ['a [ amd64  !i386 ] < !nocheck  stage1 > <cross>', 'a [amd64 !i386] <!nocheck stage1> <cross>'],
  ['a,\n b (>= 1),\n c | d', 'a, b (>= 1), c | d'],
  ['a\n |\n b', 'a | b'],
  ['\ta\t(\t=\t1\t)\t', 'a (= 1)'],
  ['a\r\n, b', 'a, b'],
  ['a (< 1)', 'a (<= 1)'],
  ['a (> 1)', 'a (>= 1)'],
  ['a (<1), b (>1)', 'a (<= 1), b (>= 1)'],
  ['a (<< 1), b (>> 1)', 'a (<< 1), b (>> 1)'],
  ['a, b,', 'a, b'],
  ['a, b , \n', 'a, b'],
  ['Foo_Bar (= 1)', 'Foo_Bar (= 1)'],
  ['x', 'x'],
  ['pkg:any (>= 2) | other:i386', 'pkg:any (>= 2) | other:i386'],
];

// Input -> what the message must say, and the 1-based column it must point at.
const INVALID: readonly (readonly [string, RegExp, number])[] = [
  ['a | | b', /empty alternative/, 3],
  ['a |', /empty alternative/, 3],
  ['a | , b', /empty alternative/, 3],
  ['| a', /expected a package name, found "\|"/, 1],
  ['a,,b', /empty item before ","/, 3],
  ['a, ,b', /empty item before ","/, 4],
  [', a', /empty item before ","/, 1],
  [',', /empty item before ","/, 1],
  ['a (>= 1', /unterminated "\("/, 3],
  ['a (>= 1, b', /expected "\)" after version "1"/, 8],
  ['a >= 1)', /unexpected ">"/, 3],
  ['a (>= 1))', /unexpected "\)"/, 9],
  ['a [amd64', /unterminated "\["/, 3],
  ['a [amd64, b', /expected a blank or "\]"/, 9],
  ['a amd64]', /unexpected "a"/, 3],
  ['a <nocheck', /unterminated "<"/, 3],
  ['a []', /empty "\[\]"/, 3],
  ['a <>', /empty "<>"/, 3],
  ['a [!]', /expected architecture name/, 5],
  ['a [amd64!i386]', /expected a blank/, 9],
  ['a (=> 1)', /bad operator "=>"/, 4],
  ['a (== 1)', /bad operator "=="/, 4],
  ['a (<> 1)', /bad operator "<>"/, 4],
  ['a (>< 1)', /bad operator "><"/, 4],
  ['a (<<= 1)', /bad operator "<<="/, 4],
  ['a (> = 1)', /operator ">" is followed by "="/, 6],
  ['a (= = 1)', /operator "=" is followed by "="/, 6],
  ['a (1.0)', /expected an operator/, 4],
  ['a (~ 1.0)', /expected an operator/, 4],
  ['a ()', /empty version constraint/, 3],
  ['a (>=)', /missing version/, 6],
  ['a (>= 1 2)', /expected "\)" after version "1"/, 9],
  ['a (>= 1:)', /nothing after the colon/, 8],
  ['a (>= a1)', /does not start with a digit/, 7],
  ['a (>= 1.0_1)', /"_" is not allowed/, 10],
  ['a (>= ${binary:Version})', /epoch is not a number/, 7],
  ['a (>= 1) (<< 2)', /in the order name\[:arch\]/, 10],
  ['a [amd64] (>= 1)', /in the order/, 11],
  ['a <!nocheck> [amd64]', /in the order/, 14],
  ['a [amd64] [i386]', /in the order/, 11],
  ['a :any', /in the order/, 3],
  ['a: any', /expected an architecture after "a:"/, 3],
  ['a:', /expected an architecture after "a:"/, 3],
  ['a:any:any', /in the order/, 6],
  ['a:_x', /invalid architecture qualifier "_x"/, 3],
  ['a:am_d64', /invalid architecture qualifier/, 3],
  ['-a', /invalid package name "-a"/, 1],
  ['a/b', /invalid package name "a\/b"/, 1],
  ['a b', /unexpected "b" after the relation on "a"/, 3],
  ['paquet-é', /invalid package name/, 1],
  ['a [amd_64]', /invalid architecture "amd_64"/, 4],
  ['a <!no/check>', /invalid build profile "no\/check"/, 4],
  ['a !b', /unexpected "!"/, 3],
  ['a\u00a0b', /invalid package name/, 1],
];

function message(fn: () => unknown): DebstashError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DebstashError, `expected DebstashError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

describe('parseRelations', () => {
  for (const [text, expected] of REAL_WORLD) {
    test(`real field: ${text.slice(0, 70)}`, () => {
      assert.deepEqual(parseRelations(text), expected);
      assert.equal(formatRelations(expected), text);
    });
  }

  for (const [text, canonical] of CANONICAL) {
    test(`canonical form of ${JSON.stringify(text)}`, () => {
      const parsed = parseRelations(text);
      assert.equal(formatRelations(parsed), canonical);
      assert.deepEqual(parseRelations(canonical), parsed);
    });
  }

  for (const [text, why, column] of INVALID) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      const e = message(() => parseRelations(text));
      assert.equal(e.code, 'DEBSTASH_E_RELATION_INVALID');
      assert.match(e.message, why);
      assert.equal(e.details.column, column, e.message);
      assert.equal(e.details.text, text);
      assert.match(e.message, new RegExp(`at column ${column}\\b`));
    });
  }

  test('leaves out the optional properties that are absent', () => {
    const [[r]] = parseRelations('a');
    assert.deepEqual(Object.keys(r), ['name']);
    const [[full]] = parseRelations('a:any (>= 1) [amd64] <!nocheck>');
    assert.deepEqual(Object.keys(full).sort(), ['archQualifier', 'arches', 'name', 'op', 'profiles', 'version']);
  });

  test('keeps the version text as written', () => {
    assert.deepEqual(parseRelations('a (>= 001:1.0-1)'), [[{ name: 'a', op: '>=', version: '001:1.0-1' }]]);
  });

  test('the column counts across folded lines', () => {
    const e = message(() => parseRelations('a,\n b (>= 1),\n c (~ 2)'));
    assert.equal(e.details.column, 19);
  });

  test('huge fields give bounded messages', () => {
    const text = `${Array.from({ length: 2000 }, (_, i) => `p${i}`).join(', ')}, (bad`;
    const e = message(() => parseRelations(text));
    assert.ok(e.message.length < 300, e.message);
    assert.equal(e.details.column, text.length - 3);
  });
});

describe('parseProvides', () => {
  test('names and exact versions', () => {
    assert.deepEqual(parseProvides('erlang-abi (= 17.0), erlang-abi-17.0, erlang-pcre (= 8.44)'), [
      { name: 'erlang-abi', op: '=', version: '17.0' },
      { name: 'erlang-abi-17.0' },
      { name: 'erlang-pcre', op: '=', version: '8.44' },
    ]);
    assert.deepEqual(parseProvides(''), []);
    assert.deepEqual(parseProvides(' \n '), []);
    assert.deepEqual(parseProvides('a,\n b,'), [{ name: 'a' }, { name: 'b' }]);
  });

  const REJECTED: readonly (readonly [string, RegExp, number])[] = [
    ['a | b', /alternatives/, 3],
    ['a (>= 1)', /Provides allows only "="/, 4],
    ['a (<< 1)', /Provides allows only "="/, 4],
    ['a (> 1)', /Provides allows only "="/, 4],
    ['a [amd64]', /architecture restrictions are not allowed in Provides/, 3],
    ['a <!nocheck>', /build profiles are not allowed in Provides/, 3],
    ['a:any', /architecture qualifier is not allowed in Provides/, 2],
    ['a,,b', /empty item/, 3],
  ];
  for (const [text, why, column] of REJECTED) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      const e = message(() => parseProvides(text));
      assert.equal(e.code, 'DEBSTASH_E_RELATION_INVALID');
      assert.match(e.message, why);
      assert.equal(e.details.column, column, e.message);
    });
  }
});

describe('parseRelation', () => {
  test('one term', () => {
    assert.deepEqual(parseRelation(' libc6:amd64 (>= 2.36) '), { name: 'libc6', archQualifier: 'amd64', op: '>=', version: '2.36' });
  });
  test('refuses nothing, lists and alternatives', () => {
    assert.match(message(() => parseRelation('')).message, /expected a relation/);
    assert.match(message(() => parseRelation('a, b')).message, /only one relation/);
    assert.match(message(() => parseRelation('a | b')).message, /alternatives/);
  });
});

describe('formatRelation', () => {
  test('canonical order and spacing', () => {
    const r: Relation = {
      name: 'gdb',
      archQualifier: 'native',
      op: '>=',
      version: '12',
      arches: [{ negated: true, arch: 'riscv64' }, { negated: false, arch: 'linux-any' }],
      profiles: [[{ negated: true, name: 'nocheck' }, { negated: false, name: 'cross' }], [{ negated: false, name: 'stage1' }]],
    };
    assert.equal(formatRelation(r), 'gdb:native (>= 12) [!riscv64 linux-any] <!nocheck cross> <stage1>');
  });

  test('refuses an operator without a version and the reverse', () => {
    assert.equal(message(() => formatRelation({ name: 'a', op: '>=' })).code, 'DEBSTASH_E_RELATION_INVALID');
    assert.equal(message(() => formatRelation({ name: 'a', version: '1' })).code, 'DEBSTASH_E_RELATION_INVALID');
  });

  test('refuses an empty group of alternatives', () => {
    assert.equal(message(() => formatRelations([[{ name: 'a' }], []])).code, 'DEBSTASH_E_RELATION_INVALID');
    assert.equal(formatRelations([]), '');
  });
});
