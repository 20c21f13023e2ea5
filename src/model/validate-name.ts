import { DebstashError } from '../errors/debstash-error.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

/** Names appear in paths, URLs and snapshot templates, so they stay plain. */
export function validateName(kind: string, name: string): string {
  if (!NAME.test(name)) {
    throw new DebstashError(
      'DEBSTASH_E_USAGE',
      `invalid ${kind} name ${JSON.stringify(name)}: use letters, digits, ".", "_", "+", "-" (starting with a letter or digit, at most 100)`,
      { [kind]: name },
    );
  }
  return name;
}
