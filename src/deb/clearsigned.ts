import { DebstashError } from '../errors/debstash-error.js';

/** An OpenPGP clearsigned message taken apart the way apt takes an InRelease apart. */
export interface Clearsigned {
  /**
   * The signed text exactly as apt hands it to gpgv: every line without its line ending and
   * trailing blanks (RFC 4880 §7.1), dash-escaping removed, lines joined by "\n", no newline
   * after the last one. This is also the text apt then parses as the Release file.
   */
  readonly signed: Uint8Array;
  /** Each armored signature block, "-----BEGIN PGP SIGNATURE-----" to "-----END PGP SIGNATURE-----". */
  readonly signatures: readonly string[];
  /** Values of the "Hash:" armor headers, for information only: apt and gpgv do not use them. */
  readonly hashHeaders: readonly string[];
}

const BEGIN_MESSAGE = '-----BEGIN PGP SIGNED MESSAGE-----';
const BEGIN_SIGNATURE = '-----BEGIN PGP SIGNATURE-----';
const END_SIGNATURE = '-----END PGP SIGNATURE-----';
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const DASH = 0x2d;

/** One line of the input, reduced as apt's LineBuffer reduces it. */
interface Line {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly number: number;
}

/**
 * Lines as C getline() yields them, then trimmed like apt: first the trailing CR/LF run, then
 * the trailing blank run. The order matters ("x\r " keeps its CR), so it is kept.
 */
function* lines(bytes: Uint8Array): Generator<Line> {
  let pos = 0;
  let number = 0;
  while (pos < bytes.length) {
    let nl = bytes.indexOf(LF, pos);
    const next = nl < 0 ? bytes.length : nl + 1;
    if (nl < 0) nl = bytes.length;
    let end = next;
    while (end > pos && (bytes[end - 1] === LF || bytes[end - 1] === CR)) end--;
    while (end > pos && (bytes[end - 1] === SPACE || bytes[end - 1] === TAB)) end--;
    number++;
    // Markers are ASCII; latin1 keeps one character per byte, so comparisons stay exact.
    yield { start: pos, end, text: Buffer.from(bytes.buffer, bytes.byteOffset + pos, end - pos).toString('latin1'), number };
    pos = next;
  }
}

/**
 * Splits a clearsigned message into the signed text and its signatures, as strictly as apt's
 * SplitClearSignedFile: the file must start with the BEGIN line (nothing before it, not even a
 * blank line), armor headers must not start with a dash, a text line starting with a dash must
 * be dash-escaped ("- "), the signature blocks must be closed, and nothing but further signature
 * blocks may follow them (not even a blank line). Each of these is a way to make apt's view
 * of the signed text differ from gpg's, which is why apt refuses them; so do we.
 *
 * Throws DEBSTASH_E_SIGNATURE_INVALID naming `source` and the line.
 */
export function splitClearsigned(input: Uint8Array | string, source = 'clearsigned message'): Clearsigned {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const fail = (what: string, line?: number): never => {
    const where = line === undefined ? '' : ` line ${line}:`;
    throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}:${where} ${what}`, { source, line });
  };
  const it = lines(bytes);
  const next = (what: string): Line => {
    const r = it.next();
    if (r.done === true) return fail(`ends before ${what} (the clearsigned message is incomplete)`);
    return r.value;
  };

  const first = it.next();
  if (first.done === true) fail('is empty, not a clearsigned message');
  else if (first.value.text !== BEGIN_MESSAGE) {
    fail(`does not start with "${BEGIN_MESSAGE}" (it is not clearsigned, or has text before the signed message)`, first.value.number);
  }

  const hashHeaders: string[] = [];
  for (;;) {
    const line = next('the end of the armor headers');
    if (line.text === '') break;
    // A header gpg does not know could hide a marker; apt assumes none starts with a dash.
    if (line.text.charCodeAt(0) === DASH) fail('armor header line starts with a dash', line.number);
    if (line.text.startsWith('Hash: ')) hashHeaders.push(line.text.slice(6));
  }

  const parts: Uint8Array[] = [];
  const newline = Uint8Array.of(LF);
  let firstLine = true;
  let signatureLines: string[] = [];
  for (;;) {
    const line = next(`"${BEGIN_SIGNATURE}"`);
    let from = line.start;
    if (line.text.charCodeAt(0) === DASH) {
      if (line.text === BEGIN_SIGNATURE) {
        signatureLines.push(line.text);
        break;
      }
      // An unescaped dash line is where gpg and a naive parser would disagree on the text.
      if (!line.text.startsWith('- ')) fail('signed text has a line starting with a dash that is not dash-escaped', line.number);
      from += 2;
    }
    if (!firstLine) parts.push(newline);
    parts.push(bytes.subarray(from, line.end));
    firstLine = false;
  }

  const signatures: string[] = [];
  let open = true;
  for (let r = it.next(); r.done !== true; r = it.next()) {
    const line = r.value;
    if (open) {
      if (line.text === END_SIGNATURE) {
        open = false;
        signatureLines.push(line.text);
        signatures.push(`${signatureLines.join('\n')}\n`);
        signatureLines = [];
        continue;
      }
      // Radix-64 never starts with a dash; such a line is a header gpg might read differently.
      if (line.text.charCodeAt(0) === DASH) fail('signature block has an unexpected line starting with a dash', line.number);
      signatureLines.push(line.text);
    } else if (line.text === BEGIN_SIGNATURE) {
      open = true;
      signatureLines.push(line.text);
    } else {
      fail('has text after the signature that is not signed', line.number);
    }
  }
  if (open) fail(`signature block is not closed by "${END_SIGNATURE}"`);

  return { signed: Buffer.concat(parts), signatures, hashHeaders };
}

/**
 * The armored signature blocks of a detached signature file (Release.gpg), as strictly as apt's
 * gpgv method reads it: only armored blocks, nothing between or around them, each closed, no
 * line starting with a dash inside one. A binary signature is refused like apt refuses it.
 * Throws DEBSTASH_E_SIGNATURE_INVALID naming `source`.
 */
export function splitDetachedSignatures(input: Uint8Array | string, source = 'detached signature'): string[] {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const fail = (what: string, line?: number): never => {
    const where = line === undefined ? '' : ` line ${line}:`;
    throw new DebstashError('DEBSTASH_E_SIGNATURE_INVALID', `${source}:${where} ${what}`, { source, line });
  };
  if (bytes.length > 0 && (bytes[0] & 0x80) !== 0) fail('is a binary OpenPGP signature; apt reads only armored ones');
  const signatures: string[] = [];
  let open: string[] | undefined;
  for (const line of lines(bytes)) {
    if (open !== undefined) {
      open.push(line.text);
      if (line.text === END_SIGNATURE) {
        signatures.push(`${open.join('\n')}\n`);
        open = undefined;
      } else if (line.text.charCodeAt(0) === DASH) {
        fail('signature block has an unexpected line starting with a dash', line.number);
      }
    } else if (line.text === BEGIN_SIGNATURE) {
      open = [line.text];
    } else {
      fail('has lines that do not belong to a signature', line.number);
    }
  }
  if (open !== undefined) fail(`signature block is not closed by "${END_SIGNATURE}"`);
  if (signatures.length === 0) fail('holds no signature');
  return signatures;
}
