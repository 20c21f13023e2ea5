/** A member for makeTar. */
export interface TarFixtureMember {
  /** Written as is into the 100-byte name field (or a GNU long-name header when longer). */
  name: string;
  data?: Uint8Array | string;
  /** '0' file (default), '5' directory, '2' symlink, '1' hardlink, ... */
  typeflag?: string;
  linkName?: string;
  /** Extra pax records (a pax 'x' header is written before the member). */
  pax?: Readonly<Record<string, string>>;
}

/**
 * The bytes of a tar archive in the ustar layout, written by hand so that tests can make
 * members that tar and dpkg-deb refuse to write ("../evil", "/etc/passwd", bad checksums).
 * Ends with the two zero blocks unless `end` is false.
 */
export function makeTar(members: readonly TarFixtureMember[], options: { end?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    if (member.pax) {
      const body = Buffer.from(Object.entries(member.pax).map(([key, value]) => paxRecord(key, value)).join(''));
      parts.push(tarHeader({ name: 'PaxHeader', size: body.length, typeflag: 'x' }), padBlock(body));
    }
    if (Buffer.byteLength(member.name) > 100) {
      const body = Buffer.from(`${member.name}\0`);
      parts.push(tarHeader({ name: '././@LongLink', size: body.length, typeflag: 'L' }), padBlock(body));
    }
    const data = Buffer.from(member.data ?? '');
    parts.push(
      tarHeader({ name: member.name, size: data.length, typeflag: member.typeflag ?? '0', linkName: member.linkName ?? '' }),
      padBlock(data),
    );
  }
  if (options.end !== false) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tarHeader(fields: { name: string; size: number; typeflag: string; linkName?: string; mode?: number }): Buffer {
  const header = Buffer.alloc(512);
  header.write(fields.name.slice(0, 100), 0, 'utf8');
  header.write(`${(fields.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100, 'latin1');
  header.write('0000000\0', 108, 'latin1');
  header.write('0000000\0', 116, 'latin1');
  header.write(`${fields.size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  header.write('00000000000\0', 136, 'latin1');
  header.write(fields.typeflag, 156, 'latin1');
  header.write((fields.linkName ?? '').slice(0, 100), 157, 'utf8');
  header.write('ustar\0' + '00', 257, 'latin1');
  header.write('root', 265, 'latin1');
  header.write('root', 297, 'latin1');
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return header;
}

function padBlock(data: Buffer): Buffer {
  const padded = Buffer.alloc(Math.ceil(data.length / 512) * 512);
  data.copy(padded);
  return padded;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length++;
  return `${length}${body}`;
}
