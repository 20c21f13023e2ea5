/**
 * aptly's own version ordering (deb.CompareVersions), which aptly 1.5 applies to every field
 * condition with `=`, `<<`, `<=`, `>=`, `>>`, whatever the field holds. It accepts any text,
 * so `Installed-Size (>= 1000)` compares numerically and `Name (alpha0)` equals `alpha`
 * (a missing number counts as 0).
 *
 * On valid Debian versions it agrees with dpkg except for numbers too big for a 64-bit int,
 * which all count as the largest one. It runs over UTF-8 bytes, classifying each byte as a
 * Latin-1 character, as Go's code does.
 */
export function compareAptlyVersions(a: string, b: string): number {
  if (a === b) return 0;
  const x = asBytes(a);
  const y = asBytes(b);
  const [e1, u1, d1] = split(x);
  const [e2, u2, d2] = split(y);
  return comparePart(e1, e2) || comparePart(u1, u2) || comparePart(d1, d2);
}

const encoder = new TextEncoder();

/**
 * The UTF-8 bytes of `s` as a string of char codes 0..255. This runs once per package per
 * condition, so ASCII (nearly every value) is returned as is, without allocating.
 */
function asBytes(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) {
      let out = '';
      for (const byte of encoder.encode(s)) out += String.fromCharCode(byte);
      return out;
    }
  }
  return s;
}

/** Epoch before the first `:`, revision after the last `-` of the rest. */
function split(v: string): [string, string, string] {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? v.slice(0, colon) : '';
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  if (dash < 0) return [epoch, rest, ''];
  return [epoch, rest.slice(0, dash), rest.slice(dash + 1)];
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Go's unicode.IsLetter on a byte taken as a rune: ASCII and Latin-1 letters. */
function isLetter(c: number): boolean {
  return (
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0xaa ||
    c === 0xb5 ||
    c === 0xba ||
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    c >= 0xf8
  );
}

const TILDE = 0x7e;

/** Compares s1[i1, j1) with s2[i2, j2): `~` first, then letters, then other bytes. */
function compareLexical(s1: string, i1: number, j1: number, s2: string, i2: number, j2: number): number {
  const l1 = j1 - i1;
  const l2 = j2 - i2;
  for (let k = 0; !(k === l1 && k === l2); k++) {
    if (k === l2) return s1.charCodeAt(i1 + k) === TILDE ? -1 : 1;
    if (k === l1) return s2.charCodeAt(i2 + k) === TILDE ? 1 : -1;
    const c1 = s1.charCodeAt(i1 + k);
    const c2 = s2.charCodeAt(i2 + k);
    if (c1 === c2) continue;
    if (c1 === TILDE) return -1;
    if (c2 === TILDE) return 1;
    const letter1 = isLetter(c1);
    const letter2 = isLetter(c2);
    if (letter1 && !letter2) return -1;
    if (!letter1 && letter2) return 1;
    return c1 < c2 ? -1 : 1;
  }
  return 0;
}

const MAX_INT64 = 9223372036854775807n;

/** strconv.Atoi as aptly uses it: "" is 0, too large clamps to the largest int64. */
function atoi(s: string, from: number, to: number): bigint | number {
  if (to - from < 16) {
    let n = 0;
    for (let k = from; k < to; k++) n = n * 10 + (s.charCodeAt(k) - 0x30);
    return n;
  }
  const n = BigInt(s.slice(from, to));
  return n > MAX_INT64 ? MAX_INT64 : n;
}

function comparePart(p1: string, p2: string): number {
  let i1 = 0;
  let i2 = 0;
  const l1 = p1.length;
  const l2 = p2.length;
  for (;;) {
    let j1 = i1;
    let j2 = i2;
    while (j1 < l1 && !isDigit(p1.charCodeAt(j1))) j1++;
    while (j2 < l2 && !isDigit(p2.charCodeAt(j2))) j2++;
    const r = compareLexical(p1, i1, j1, p2, i2, j2);
    if (r !== 0) return r;
    i1 = j1;
    i2 = j2;
    while (j1 < l1 && isDigit(p1.charCodeAt(j1))) j1++;
    while (j2 < l2 && isDigit(p2.charCodeAt(j2))) j2++;
    const n1 = atoi(p1, i1, j1);
    const n2 = atoi(p2, i2, j2);
    if (n1 < n2) return -1;
    if (n1 > n2) return 1;
    i1 = j1;
    i2 = j2;
    if (i1 === l1 && i2 === l2) return 0;
  }
}
