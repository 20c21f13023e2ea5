import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type MultipartPart, multipartBoundary, parseMultipart } from '../../../src/server/api/multipart-parser.js';
import { rejectsWith } from '../../helpers/coded-error.js';

async function* chunks(body: Buffer, cuts: readonly number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    yield body.subarray(at, cut);
    at = cut;
  }
  yield body.subarray(at);
}

async function parse(body: Buffer, boundary: string, cuts: readonly number[] = []): Promise<{ part: MultipartPart; content: string }[]> {
  const out: { part: MultipartPart; pieces: Buffer[] }[] = [];
  await parseMultipart(chunks(body, cuts), boundary, {
    begin: (part) => void out.push({ part, pieces: [] }),
    data: (chunk) => void out.at(-1)?.pieces.push(Buffer.from(chunk)),
    end: () => undefined,
  });
  return out.map((p) => ({ part: p.part, content: Buffer.concat(p.pieces).toString('latin1') }));
}

const BODY = Buffer.from(
  [
    'preamble to ignore',
    '--XyZ',
    'Content-Disposition: form-data; name="field"',
    '',
    'value with --XyZ inside a line but not after CRLF',
    '--XyZ  ',
    'Content-Disposition: form-data; name="file"; filename="a \\"quoted\\" name.deb"',
    'Content-Type: application/vnd.debian.binary-package',
    '',
    '\r\n--XyQ-almost\r\n--Xy',
    '--XyZ--',
    'epilogue to ignore',
  ].join('\r\n'),
  'latin1',
);

const EXPECTED = [
  { part: { name: 'field' }, content: 'value with --XyZ inside a line but not after CRLF' },
  { part: { name: 'file', filename: 'a "quoted" name.deb', contentType: 'application/vnd.debian.binary-package' }, content: '\r\n--XyQ-almost\r\n--Xy' },
];

test('parts, names, file names and bodies; a body may hold near-boundaries', async () => {
  assert.deepEqual(await parse(BODY, 'XyZ'), EXPECTED);
});

test('the same parts however the stream is cut into chunks', async () => {
  for (let cut = 0; cut <= BODY.length; cut++) assert.deepEqual(await parse(BODY, 'XyZ', [cut]), EXPECTED, `cut at ${cut}`);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 0, max: BODY.length }), { maxLength: 12 }), async (cuts) => {
      assert.deepEqual(await parse(BODY, 'XyZ', cuts), EXPECTED);
    }),
    { numRuns: 200 },
  );
});

test('malformed bodies are DEBSTASH_E_USAGE', async () => {
  const cases: [string, string][] = [
    ['no closing boundary', '--b\r\nContent-Disposition: form-data; name="f"\r\n\r\nbody'],
    ['no disposition', '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--'],
    ['no field name', '--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--'],
    ['garbage after a boundary', '--b junk\r\nContent-Disposition: form-data; name="f"\r\n\r\nx\r\n--b--'],
    ['header line without a name', '--b\r\nno colon here\r\n\r\nx\r\n--b--'],
    ['nothing at all', ''],
  ];
  for (const [label, body] of cases) await assert.rejects(parse(Buffer.from(body), 'b'), rejectsWith('DEBSTASH_E_USAGE', /multipart/), label);
});

test('the boundary of a Content-Type', () => {
  assert.equal(multipartBoundary('multipart/form-data; boundary=----abc123'), '----abc123');
  assert.equal(multipartBoundary('Multipart/Form-Data; charset=utf-8; boundary="a b"'), 'a b');
  assert.equal(multipartBoundary('multipart/mixed; boundary=x'), undefined);
  assert.equal(multipartBoundary('multipart/form-data'), undefined);
  assert.equal(multipartBoundary(undefined), undefined);
});
