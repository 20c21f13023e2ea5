import { DebstashError } from '../errors/debstash-error.js';
import type { FilterWarning } from '../store/records.js';
import type { ProgressSink } from './progress.js';

/** Reports filter warnings, or with `strict` refuses them: nothing has been written yet. */
export function checkFilter(name: string, warnings: readonly FilterWarning[], strict: boolean, progress: ProgressSink): void {
  const [first] = warnings;
  if (first === undefined) return;
  if (strict) {
    const more = warnings.length > 1 ? ` (and ${warnings.length - 1} more)` : '';
    throw new DebstashError('DEBSTASH_E_FILTER_UNMATCHED', `${first.message}${more}`, { mirror: name, term: first.term, count: warnings.length });
  }
  for (const w of warnings) progress({ type: 'warning', code: w.code, message: `${name}: ${w.message}` });
}
