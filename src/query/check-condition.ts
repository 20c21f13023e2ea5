import { DebstashError } from '../errors/debstash-error.js';
import { compareParsedVersions, parseVersion, type DebVersion } from '../deb/version.js';
import { compareAptlyVersions } from './aptly-compare.js';
import { compileGoGlob } from './go-glob.js';
import type { QueryCondition } from './query-ast.js';
import { compileRegexp } from './re2-regexp.js';

/** What a condition's value is compared with, which decides how `<<`...`>>` compare. */
export type ConditionSubject = 'version' | 'text';

export type ConditionCheck =
  | { readonly ok: true; readonly test: (value: string) => boolean }
  | { readonly ok: false; readonly message: string };

/**
 * Turns `(op value)` into a test on the package's value, checking the value first: a regexp
 * or glob that does not compile, or a version that is not one, is reported instead of matching
 * nothing. `version` subjects (package versions) compare with dpkg's ordering; `text` ones
 * (every other field) with aptly's own ordering, which takes any text, as aptly 1.5 does.
 */
export function checkCondition(condition: QueryCondition, subject: ConditionSubject): ConditionCheck {
  const wanted = condition.value;
  switch (condition.op) {
    case '%': {
      const glob = compileGoGlob(wanted);
      if (!glob.ok) return { ok: false, message: `invalid glob pattern ${JSON.stringify(wanted)}: ${glob.message}` };
      return glob;
    }
    case '~': {
      const regexp = compileRegexp(wanted);
      if (!regexp.ok) {
        return { ok: false, message: `invalid regular expression ${JSON.stringify(wanted)}: ${regexp.message}` };
      }
      return regexp;
    }
    default:
      break;
  }
  if (subject === 'text') {
    switch (condition.op) {
      case '=':
        return { ok: true, test: (v) => compareAptlyVersions(v, wanted) === 0 };
      case '<<':
        return { ok: true, test: (v) => compareAptlyVersions(v, wanted) < 0 };
      case '<=':
        return { ok: true, test: (v) => compareAptlyVersions(v, wanted) <= 0 };
      case '>=':
        return { ok: true, test: (v) => compareAptlyVersions(v, wanted) >= 0 };
      case '>>':
        return { ok: true, test: (v) => compareAptlyVersions(v, wanted) > 0 };
    }
  }
  let parsedWanted;
  try {
    parsedWanted = parseVersion(wanted);
  } catch (err) {
    if (!(err instanceof DebstashError)) throw err;
    const at = err.message.indexOf('": ');
    const why = (at >= 0 ? err.message.slice(at + 3) : err.message).replace(/ \(column \d+\)$/, '');
    return { ok: false, message: `${JSON.stringify(wanted)} is not a Debian version: ${why}` };
  }
  return { ok: true, test: versionTest(condition.op, parsedWanted) };
}

type VersionOp = '=' | '<<' | '<=' | '>=' | '>>';

function versionTest(op: VersionOp, wanted: DebVersion): (v: string) => boolean {
  // Versions repeat a lot in an index (every arch of a source, many binaries per source), so
  // remembering the last answers saves parsing; the cache is bounded by clearing it.
  const cache = new Map<string, number>();
  const compare = (v: string): number | undefined => {
    let c = cache.get(v);
    if (c === undefined) {
      try {
        c = Math.sign(compareParsedVersions(parseVersion(v), wanted));
      } catch {
        // A package whose version does not parse is in no version range.
        return undefined;
      }
      if (cache.size >= 4096) cache.clear();
      cache.set(v, c);
    }
    return c;
  };
  switch (op) {
    // An unparsable version takes a value that fails the test.
    case '=':
      return (v) => compare(v) === 0;
    case '<<':
      return (v) => (compare(v) ?? 0) < 0;
    case '<=':
      return (v) => (compare(v) ?? 1) <= 0;
    case '>=':
      return (v) => (compare(v) ?? -1) >= 0;
    case '>>':
      return (v) => (compare(v) ?? 0) > 0;
  }
}
