/**
 * Property tests for the deb822 parser and serializer. The seed is fixed so CI is reproducible;
 * set FUZZ_SEED to explore other inputs, FUZZ_RUNS to run more cases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fuzzParams } from '../helpers/fuzz-params.js';

import { DebstashError } from '../../src/errors/debstash-error.js';
import { parseDeb822, parseDeb822Stream, type Deb822Options } from '../../src/deb/deb822-parse.js';
import { serializeDeb822, serializeParagraph } from '../../src/deb/deb822-serialize.js';
import { Paragraph } from '../../src/deb/paragraph.js';
import { completeEnd, firstInvalidUtf8 } from '../../src/deb/utf8-bytes.js';
import { isUtf8 } from 'node:buffer';

const params = (share = 0.15): fc.Parameters<unknown> => fuzzParams(20240822, share);

const PARSE_CODES = new Set([
  'DEBSTASH_E_DEB822_SYNTAX',
  'DEBSTASH_E_DEB822_DUPLICATE_FIELD',
  'DEBSTASH_E_DEB822_TOO_LARGE',
  'DEBSTASH_E_ENCODING',
]);

type Outcome = { ok: true; paragraphs: { line: number; fields: [string, string][] }[] } | { ok: false; code: string };

function shape(ps: readonly Paragraph[]): { line: number; fields: [string, string][] }[] {
  return ps.map((p) => ({ line: p.line, fields: [...p] }));
}

function outcomeOf(run: () => Paragraph[]): Outcome {
  try {
    return { ok: true, paragraphs: shape(run()) };
  } catch (e) {
    return { ok: false, code: codeOf(e) };
  }
}

function codeOf(e: unknown): string {
  if (!(e instanceof DebstashError) || !PARSE_CODES.has(e.code)) throw e;
  assert.ok(e.message.length > 0 && e.message.length < 400, e.message);
  return e.code;
}

async function streamOutcome(parts: readonly (Uint8Array | string)[], options: Deb822Options): Promise<Outcome> {
  async function* gen(): AsyncGenerator<Uint8Array | string> {
    for (const part of parts) yield part;
  }
  const out: Paragraph[] = [];
  try {
    for await (const p of parseDeb822Stream(gen(), options)) out.push(p);
    return { ok: true, paragraphs: shape(out) };
  } catch (e) {
    return { ok: false, code: codeOf(e) };
  }
}

function cut<T extends Uint8Array | string>(whole: T, points: readonly number[]): T[] {
  const at = [...new Set(points.map((p) => p % (whole.length + 1)))].sort((a, b) => a - b);
  const parts: T[] = [];
  let prev = 0;
  for (const p of [...at, whole.length]) {
    parts.push(whole.slice(prev, p) as T);
    prev = p;
  }
  return parts;
}

// Characters that matter to deb822, so random text gets past the first line.
const DEB822_CHARS = ['A', 'b', 'Z', '-', ':', ' ', ' ', '\t', '\n', '\n', '\r', '#', '.', 'é', '😀', '\uFEFF', '\u0000'];
const deb822ish = fc.string({ unit: fc.constantFrom(...DEB822_CHARS), maxLength: 80 });
const anyText = fc.oneof(deb822ish, fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }));
const options: fc.Arbitrary<Deb822Options> = fc.record({
  comments: fc.boolean(),
  maxParagraphBytes: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 60 })),
});

describe('deb822 fuzz: hostile input', () => {
  test('any string parses or throws a deb822 DebstashError', () => {
    fc.assert(
      fc.property(anyText, options, (text, opts) => {
        outcomeOf(() => parseDeb822(text, opts));
      }),
      params(1),
    );
  });

  test('any bytes, cut anywhere, stream-parse or throw a deb822 DebstashError', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 80 }),
      deb822ish.map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc
        .tuple(deb822ish, fc.uint8Array({ maxLength: 4 }), deb822ish)
        .map(([a, b, c]) => new Uint8Array(Buffer.concat([Buffer.from(a), b, Buffer.from(c)]))),
    );
    await fc.assert(
      fc.asyncProperty(bytes, fc.array(fc.nat(), { maxLength: 6 }), options, fc.integer({ min: 1, max: 9 }), async (b, points, opts, batchBytes) => {
        await streamOutcome(cut(b, points), { ...opts, batchBytes });
      }),
      params(1),
    );
  });

  test('valid UTF-8 streams exactly like the decoded string parses, however cut', async () => {
    const text = fc.oneof(deb822ish, fc.string({ unit: 'grapheme', maxLength: 40 }));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), options, fc.integer({ min: 1, max: 9 }), async (s, points, opts, batchBytes) => {
        // The stream counts bytes and parseDeb822 UTF-16 units: the same only for ASCII.
        const limits = /^[\x00-\x7f]*$/.test(s) ? opts : { comments: opts.comments };
        const expected = outcomeOf(() => parseDeb822(s, limits));
        const bytes = new Uint8Array(Buffer.from(s, 'utf8'));
        assert.deepEqual(await streamOutcome(cut(bytes, points), { ...limits, batchBytes }), expected);
        assert.deepEqual(await streamOutcome(cut(s, points), { ...limits, batchBytes: 1 << 20 }), expected);
      }),
      params(0.075),
    );
  });
});

describe('deb822 fuzz: UTF-8 helpers', () => {
  test('firstInvalidUtf8 agrees with isUtf8, and completeEnd only holds back a cut-off character', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.array(fc.constantFrom(0x41, 0x80, 0xbf, 0xc2, 0xc0, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff), { maxLength: 8 }).map((a) => Uint8Array.from(a)),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const bad = firstInvalidUtf8(b, 0, b.length);
        assert.equal(bad < 0, isUtf8(b));
        if (bad >= 0) assert.ok(isUtf8(b.subarray(0, bad)), 'everything before the first bad byte is valid');
        const end = completeEnd(b, 0, b.length);
        assert.ok(end >= b.length - 3 && end <= b.length);
        if (isUtf8(b)) assert.equal(end, b.length, 'valid text has nothing cut off');
        if (end < b.length) assert.ok(b[end] >= 0xc0, 'what is held back starts with a lead byte');
      }),
      params(),
    );
  });
});

// Valid paragraphs, built by the rules the serializer checks.
const NAME_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!"$%&\'()*+,./;<=>?@[\\]^_`{|}~#-'];
const nameArb = fc
  .tuple(fc.constantFrom(...NAME_CHARS.filter((c) => c !== '#' && c !== '-')), fc.string({ unit: fc.constantFrom(...NAME_CHARS), maxLength: 12 }))
  .map(([first, rest]) => first + rest);
const VALUE_CHARS = ['a', 'B', '0', ' ', '\t', ':', '#', '.', '-', 'é', '漢', '😀', '\r', '\u0000'];
const inner = fc.string({ unit: fc.constantFrom(...VALUE_CHARS), maxLength: 20 });
const solid = fc.constantFrom('a', 'Z', '9', '.', ':', '#', 'é', '😀');
/** Text without blanks at either end (possibly empty). */
const trimmed = fc.oneof(fc.constant(''), solid, fc.tuple(solid, inner, solid).map(([a, b, c]) => a + b + c));
const continuation = fc
  .tuple(fc.constantFrom(' ', '\t', '  ', ' \t'), fc.oneof(solid, fc.tuple(inner, solid).map(([a, b]) => a + b)))
  .map(([lead, text]) => lead + text);
const valueArb = fc
  .tuple(trimmed, fc.array(continuation, { maxLength: 4 }))
  .map(([first, rest]) => first + rest.map((line) => `\n${line}`).join(''));
const paragraphArb = fc
  .uniqueArray(fc.tuple(nameArb, valueArb), { minLength: 1, maxLength: 8, selector: ([name]) => name.toLowerCase() })
  .map((pairs) => Paragraph.from(pairs));

describe('deb822 fuzz: round trip', () => {
  test('parse(serialize(p)) gives p back', () => {
    fc.assert(
      fc.property(fc.array(paragraphArb, { minLength: 1, maxLength: 4 }), (ps) => {
        const text = serializeDeb822(ps);
        const back = parseDeb822(text);
        assert.equal(back.length, ps.length);
        back.forEach((p, i) => assert.ok(p.equals(ps[i]), `${JSON.stringify([...p])} vs ${JSON.stringify([...ps[i]])}`));
        assert.equal(serializeDeb822(back), text);
        assert.deepEqual(shape(parseDeb822(text.replaceAll('\n', '\r\n'))), shape(back), 'CRLF reads the same');
      }),
      params(),
    );
  });

  test('the stream reads serialized paragraphs back too, however cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(paragraphArb, { minLength: 1, maxLength: 3 }), fc.array(fc.nat(), { maxLength: 5 }), fc.integer({ min: 1, max: 7 }), async (ps, points, batchBytes) => {
        const text = serializeDeb822(ps);
        const outcome = await streamOutcome(cut(new Uint8Array(Buffer.from(text, 'utf8')), points), { batchBytes });
        assert.deepEqual(outcome, { ok: true, paragraphs: shape(parseDeb822(text)) });
      }),
      params(0.075),
    );
  });

  test('serializeParagraph accepts exactly what reads back the same', () => {
    fc.assert(
      fc.property(nameArb, fc.string({ unit: fc.constantFrom(...VALUE_CHARS, '\n'), maxLength: 30 }), (name, value) => {
        const p = new Paragraph([name], [value]);
        let text: string;
        try {
          text = serializeParagraph(p);
        } catch (e) {
          assert.ok(e instanceof DebstashError && e.code === 'DEBSTASH_E_DEB822_SYNTAX', String(e));
          // Refused: then reading back what a naive writer would produce must differ.
          const naive = `${name}: ${value}\n`;
          const back = outcomeOf(() => parseDeb822(naive));
          assert.ok(!back.ok || back.paragraphs.length !== 1 || back.paragraphs[0].fields[0][1] !== value);
          return;
        }
        assert.ok(parseDeb822(text)[0].equals(p));
      }),
      params(),
    );
  });
});
