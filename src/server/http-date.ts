const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const TIME = '(?<h>\\d{2}):(?<mi>\\d{2}):(?<s>\\d{2})';
const FORMS = [
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (?<d>\\d{2}) (?<mon>[A-Z][a-z]{2}) (?<y>\\d{4}) ${TIME} GMT$`),
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, (?<d>\\d{2})-(?<mon>[A-Z][a-z]{2})-(?<y>\\d{2}) ${TIME} GMT$`),
  // asctime: Sun Nov  6 08:49:37 1994
  new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?<mon>[A-Z][a-z]{2}) (?<d>[ \\d]\\d) ${TIME} (?<y>\\d{4})$`),
];

/**
 * An HTTP-date (RFC 9110 5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms a
 * recipient must accept) in milliseconds, or undefined for anything else. Not Date.parse:
 * that takes almost any text for a date, a quoted entity tag such as "2026" included.
 */
export function parseHttpDate(value: string): number | undefined {
  const g = FORMS.map((re) => re.exec(value)).find((m) => m !== null)?.groups;
  if (g === undefined) return undefined;
  const [day, hour, minute, second] = [g.d, g.h, g.mi, g.s].map(Number) as [number, number, number, number];
  const month = MONTHS.indexOf(g.mon ?? '');
  const year = g.y?.length === 2 ? twoDigitYear(Number(g.y)) : Number(g.y);
  const ms = Date.UTC(year, month, day, hour, minute, second);
  // Date.UTC rolls 31 Feb over into March and 25:00 into the next day: such a field is no date.
  const valid = month >= 0 && new Date(ms).getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return valid ? ms : undefined;
}

/** RFC 9110: a two-digit year that would be more than 50 years ahead is the latest past year with those digits. */
function twoDigitYear(yy: number): number {
  const now = new Date().getUTCFullYear();
  const year = Math.floor(now / 100) * 100 + yy;
  return year > now + 50 ? year - 100 : year;
}
