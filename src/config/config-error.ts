import { DebstashError } from '../errors/debstash-error.js';
import type { ErrorCode } from '../errors/codes.js';
import { type ConfigLocation, describeLocation } from './config-location.js';

/** A mistake in debstash.yaml: the message starts with `file:line:col: setting:`. */
export function configError(code: ErrorCode, at: ConfigLocation, what: string, extra: Readonly<Record<string, string | number>> = {}, cause?: unknown): DebstashError {
  return new DebstashError(
    code,
    `${describeLocation(at)}${what}`,
    { file: at.file, ...(at.line !== undefined ? { line: at.line, column: at.column } : {}), setting: at.setting, ...extra },
    cause === undefined ? undefined : { cause },
  );
}
