import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Machine-readable context of an error (file, line, column, field...), shown in JSON output. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | undefined>>;

/**
 * The one error type users see. `message` says what was wrong; the code's hint says what to do.
 */
export class DebstashError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DebstashError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].status;
  }

  get hint(): string {
    return ERROR_CODES[this.code].hint;
  }

  /** One line for people: code, what went wrong, what to do. */
  describe(): string {
    return `${this.code}: ${this.message}. ${this.hint}`;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

export function isDebstashError(value: unknown): value is DebstashError {
  return value instanceof DebstashError;
}
