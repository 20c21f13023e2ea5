import { DebstashError } from '../../errors/debstash-error.js';

/** The headers of one part that matter to a form upload. */
export interface MultipartPart {
  /** The form field name (Content-Disposition name=). */
  readonly name: string;
  /** Set for file parts (Content-Disposition filename=). */
  readonly filename?: string;
  readonly contentType?: string;
}

/** Receives the parts in order; each awaited, so a slow sink slows the reading (backpressure). */
export interface MultipartSink {
  begin(part: MultipartPart): Promise<void> | void;
  data(chunk: Buffer): Promise<void> | void;
  end(): Promise<void> | void;
}

const HEADER_LIMIT = 16 * 1024;
const PART_LIMIT = 1000;

function malformed(why: string): DebstashError {
  return new DebstashError('DEBSTASH_E_USAGE', `malformed multipart/form-data body: ${why}`, { field: 'body' });
}

/** The boundary parameter of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  return m?.[1] ?? m?.[2];
}

function dispositionParam(value: string, name: string): string | undefined {
  for (const m of value.matchAll(/;\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    if ((m[1] ?? '').toLowerCase() !== name) continue;
    const raw = (m[2] ?? '').trim();
    return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return undefined;
}

function parsePartHeaders(block: string): MultipartPart {
  let disposition: string | undefined;
  let contentType: string | undefined;
  for (const line of block.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw malformed(`header line ${JSON.stringify(line.slice(0, 80))} has no name`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (name === 'content-disposition') disposition = value;
    else if (name === 'content-type') contentType = value;
  }
  if (disposition === undefined || !/^form-data\s*(;|$)/i.test(disposition)) throw malformed('a part has no Content-Disposition: form-data');
  const name = dispositionParam(disposition, 'name');
  if (name === undefined) throw malformed('a part has no field name');
  const filename = dispositionParam(disposition, 'filename');
  return { name, ...(filename !== undefined ? { filename } : {}), ...(contentType !== undefined ? { contentType } : {}) };
}

/**
 * Reads a multipart/form-data stream (RFC 7578) part by part without holding a part in memory:
 * part bodies go to the sink as they arrive; only a tail as long as the delimiter is held back
 * in case the delimiter is split across chunks.
 */
export async function parseMultipart(source: AsyncIterable<Buffer>, boundary: string, sink: MultipartSink): Promise<void> {
  const delimiter = Buffer.from(`\r\n--${boundary}`, 'latin1');
  // The first delimiter has no CRLF before it; pretend it had one.
  let buf: Buffer = Buffer.from('\r\n', 'latin1');
  let state = 'preamble' as 'preamble' | 'after-delimiter' | 'headers' | 'body' | 'done';
  let parts = 0;

  const step = async (): Promise<boolean> => {
    switch (state) {
      case 'preamble': {
        const at = buf.indexOf(delimiter);
        if (at < 0) {
          buf = buf.subarray(Math.max(0, buf.length - delimiter.length + 1));
          return false;
        }
        buf = buf.subarray(at + delimiter.length);
        state = 'after-delimiter';
        return true;
      }
      case 'after-delimiter': {
        const eol = buf.indexOf('\r\n');
        if (buf.length >= 2 && buf.subarray(0, 2).toString('latin1') === '--') {
          state = 'done';
          return false;
        }
        if (eol < 0) {
          if (buf.length > 256) throw malformed('garbage after a boundary');
          return false;
        }
        // Transport padding (spaces, tabs) may follow a boundary.
        if (buf.subarray(0, eol).toString('latin1').trim() !== '') throw malformed('garbage after a boundary');
        buf = buf.subarray(eol + 2);
        state = 'headers';
        return true;
      }
      case 'headers': {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > HEADER_LIMIT) throw malformed(`part headers longer than ${HEADER_LIMIT} bytes`);
          return false;
        }
        if (++parts > PART_LIMIT) throw malformed(`more than ${PART_LIMIT} parts`);
        await sink.begin(parsePartHeaders(buf.subarray(0, end).toString('utf8')));
        buf = buf.subarray(end + 4);
        state = 'body';
        return true;
      }
      case 'body': {
        const at = buf.indexOf(delimiter);
        if (at >= 0) {
          if (at > 0) await sink.data(buf.subarray(0, at));
          await sink.end();
          buf = buf.subarray(at + delimiter.length);
          state = 'after-delimiter';
          return true;
        }
        const safe = buf.length - delimiter.length + 1;
        if (safe > 0) {
          await sink.data(buf.subarray(0, safe));
          buf = buf.subarray(safe);
        }
        return false;
      }
      case 'done':
        return false;
    }
  };

  for await (const chunk of source) {
    if (state === 'done') continue;
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    while (await step());
  }
  if (state !== 'done') throw malformed('the body ends before the closing boundary');
}
