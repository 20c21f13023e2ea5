import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { parseDeb822 } from '../../deb/deb822-parse.js';
import { readDeb } from '../../deb/deb-reader.js';
import { DebstashError } from '../../errors/debstash-error.js';
import { multipartBoundary, parseMultipart } from './multipart-parser.js';

/** Media types a raw package body may be sent as. */
export const PACKAGE_MEDIA_TYPES: readonly string[] = ['application/vnd.debian.binary-package', 'application/x-debian-package', 'application/octet-stream'];

/** Default largest upload: a big package with room to spare. */
export const DEFAULT_UPLOAD_LIMIT_BYTES = 512 * 1024 * 1024;

const SAFE_FILENAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]{0,200}\.u?deb$/;

function tooLarge(limit: number, declared?: string): DebstashError {
  return new DebstashError('DEBSTASH_E_UPLOAD_TOO_LARGE', declared !== undefined ? `the upload is ${declared} bytes; at most ${limit} are accepted` : `the upload is larger than ${limit} bytes`, { limit });
}

/** The body as it arrives, failing as soon as it passes `limit` bytes. */
async function* bounded(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    yield chunk as Buffer;
  }
}

async function write(out: WriteStream, chunk: Buffer): Promise<void> {
  if (!out.write(chunk)) await new Promise<void>((resolve, reject) => {
    out.once('drain', resolve);
    out.once('error', reject);
  });
}

async function close(out: WriteStream): Promise<void> {
  out.end();
  await finished(out);
}

/** A received package file and the name its sender gave it, if any. */
interface Received {
  readonly path: string;
  readonly filename?: string;
}

/**
 * The name the package gets in the repo (and the pool): the sender's, when it is a plain
 * package file name; else dpkg's NAME_VERSION_ARCH.deb from its control file.
 */
async function packageFilename(r: Received): Promise<string> {
  if (r.filename !== undefined && SAFE_FILENAME.test(r.filename)) return r.filename;
  const info = await readDeb(createReadStream(r.path), { source: r.filename ?? 'the upload' });
  const control = parseDeb822(info.control, { source: 'the control file' })[0];
  const field = (name: string): string => (control?.get(name) ?? '').trim();
  const name = `${field('Package')}_${field('Version').replace(/^\d+:/, '')}_${field('Architecture')}.${r.filename?.endsWith('.udeb') ? 'udeb' : 'deb'}`;
  if (!SAFE_FILENAME.test(name)) throw new DebstashError('DEBSTASH_E_DEB_INVALID', `the package's control file gives no usable file name (${JSON.stringify(name)})`, { filename: name });
  return name;
}

/**
 * Streams the package(s) of an upload request into files under `dir`, never holding a whole
 * package in memory: a raw body (one package, its name from `?filename=` if given) or every
 * file part of a multipart/form-data body. Returns their paths, each named as the package file
 * should be named, ready for `addToRepo`.
 */
export async function receivePackages(req: IncomingMessage, dir: string, limit: number, filename: string | undefined): Promise<string[]> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit, declared);
  const contentType = req.headers['content-type'];
  const media = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const received: Received[] = [];
  const next = (): string => join(dir, `part-${received.length}`);
  await mkdir(dir, { recursive: true });

  const boundary = multipartBoundary(contentType);
  if (boundary !== undefined) {
    let out: WriteStream | undefined;
    const parsing = parseMultipart(bounded(req, limit), boundary, {
      begin(part) {
        // A field, or a file input left empty (browsers send filename="").
        if (part.filename === undefined || part.filename === '') return;
        const path = next();
        received.push({ path, filename: part.filename.replace(/^.*[\\/]/, '') });
        out = createWriteStream(path, { flags: 'wx' });
      },
      data: (chunk) => (out !== undefined ? write(out, chunk) : undefined),
      async end() {
        if (out !== undefined) await close(out);
        out = undefined;
      },
    });
    await parsing.catch((err: unknown) => {
      out?.destroy();
      throw err;
    });
  } else if (PACKAGE_MEDIA_TYPES.includes(media)) {
    const path = next();
    received.push({ path, ...(filename !== undefined ? { filename } : {}) });
    const out = createWriteStream(path, { flags: 'wx' });
    try {
      for await (const chunk of bounded(req, limit)) await write(out, chunk);
    } finally {
      await close(out);
    }
  } else {
    throw new DebstashError('DEBSTASH_E_MEDIA_TYPE', `a package upload must be ${PACKAGE_MEDIA_TYPES[0]} or multipart/form-data, not ${JSON.stringify(media || 'none')}`, { contentType: media });
  }
  if (received.length === 0) throw new DebstashError('DEBSTASH_E_USAGE', 'the upload has no package file in it', { field: 'body' });

  const paths: string[] = [];
  for (const r of received) {
    const named = join(dir, randomUUID(), await packageFilename(r));
    await mkdir(join(named, '..'));
    await rename(r.path, named);
    paths.push(named);
  }
  return paths;
}
