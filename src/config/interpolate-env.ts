/** Why an interpolation failed; the loader adds where (file, line, setting). */
export class InterpolationProblem extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

const REFERENCE = /\$\$|\$\{([^}]*)\}|\$\{/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Compose-style interpolation of one scalar: `${VAR}` (must be set), `${VAR:-default}` (default
 * when unset or empty), `$$` a literal `$`. Done on parsed values, so a variable can never add
 * YAML structure; a lone `$` not followed by `{` stays as it is.
 */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(REFERENCE, (whole: string, body: string | undefined) => {
    if (whole === '$$') return '$';
    if (body === undefined) throw new InterpolationProblem('"${" without a closing "}" (write "$$" for a literal "$")');
    const sep = body.indexOf(':-');
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) throw new InterpolationProblem(`"\${${body}}" is not a variable reference: expected \${NAME} or \${NAME:-default}`);
    const value = env[name];
    if (sep !== -1) return value === undefined || value === '' ? body.slice(sep + 2) : value;
    if (value === undefined) throw new InterpolationProblem(`environment variable ${name} is not set (write \${${name}:-default} to give a default)`, name);
    return value;
  });
}
