/** A member for makeAr: its data, and how its name is written. */
export interface ArFixtureMember {
  name: string;
  data: Uint8Array | string;
  /** 'plain' (dpkg: padded name), 'gnu' ("name/"), 'bsd' ("#1/LEN" + name in the data). Default 'plain'. */
  nameStyle?: 'plain' | 'gnu' | 'bsd';
}

/**
 * The bytes of an ar archive, written by hand so that tests can make archives that `ar` and
 * `dpkg-deb` would refuse to (wrong order, odd names, broken headers). Members of odd size get
 * the "\n" padding byte unless `pad` is false.
 */
export function makeAr(members: readonly ArFixtureMember[], options: { pad?: boolean } = {}): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const member of members) {
    let data = typeof member.data === 'string' ? Buffer.from(member.data) : Buffer.from(member.data);
    let name = member.name;
    if (member.nameStyle === 'gnu') name = `${name}/`;
    if (member.nameStyle === 'bsd') {
      data = Buffer.concat([Buffer.from(member.name), data]);
      name = `#1/${Buffer.byteLength(member.name)}`;
    }
    parts.push(arHeader(name, data.length), data);
    if (data.length % 2 === 1 && options.pad !== false) parts.push(Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

/** A 60-byte ar member header. */
export function arHeader(name: string, size: number, mode = '100644'): Buffer {
  const field = (value: string, width: number): string => value.padEnd(width, ' ').slice(0, width);
  const text = field(name, 16) + field('0', 12) + field('0', 6) + field('0', 6) + field(mode, 8) + field(String(size), 10) + '`\n';
  return Buffer.from(text, 'latin1');
}
