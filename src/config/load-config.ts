import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, Scalar, visit } from 'yaml';
import type { z } from 'zod';
import { configError } from './config-error.js';
import { ConfigSourceMap, formatSettingPath, pathOfAncestors } from './config-location.js';
import { type DebstashConfig, configSchema } from './config-schema.js';
import { checkConfig } from './check-config.js';
import { InterpolationProblem, interpolateEnv } from './interpolate-env.js';

export interface LoadConfigOptions {
  /** Where `${VAR}` is looked up; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * A plain (unquoted) scalar that was all interpolation is typed the way YAML would have typed
 * the result, so `keep: ${KEEP:-5}` is a number and `with_deps: ${DEPS:-true}` a boolean.
 * Quoted scalars stay strings, as in YAML.
 */
function retype(text: string): string | number | boolean {
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^[-+]?\d+$/.test(text)) return Number(text);
  return text;
}

function firstIssueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown setting${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `required, expected ${issue.expected}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/** Checks parsed YAML (already interpolated) against the schema and the cross-references. */
export function validateConfig(value: unknown, source: ConfigSourceMap): DebstashConfig {
  const parsed = configSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const issue = issues[0] as z.core.$ZodIssue;
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    const at = issue.code === 'unrecognized_keys' ? source.locate(path, issue.keys[0]) : source.locate(path);
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    throw configError('DEBSTASH_E_CONFIG_INVALID', at, `${firstIssueMessage(issue)}${more}`);
  }
  checkConfig(parsed.data, source);
  return parsed.data;
}

/**
 * Reads debstash.yaml: YAML syntax (with line and column), `${VAR}` interpolation of every
 * scalar value, the schema (unknown keys are errors), then what the schema cannot say (filters
 * parse, names are valid, publishes name existing mirrors and repos). Every mistake is one
 * DebstashError naming the file, line, column and setting.
 */
export async function loadConfig(file: string, options: LoadConfigOptions = {}): Promise<DebstashConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw configError('DEBSTASH_E_CONFIG_NOT_FOUND', { file, setting: '' }, `cannot read the config file (${code})`, { errno: code }, err);
  }
  return parseConfigText(text, file, options);
}

export function parseConfigText(text: string, file: string, options: LoadConfigOptions = {}): DebstashConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const source = new ConfigSourceMap(file, doc, lineCounter);
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    const pos = lineCounter.linePos(syntax.pos[0]);
    throw configError('DEBSTASH_E_CONFIG_SYNTAX', { file, line: pos.line, column: pos.col, setting: '' }, `YAML syntax error: ${syntax.message.split('\n')[0]}`);
  }
  const env = options.env ?? process.env;
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('$')) return;
      const original = node.value;
      try {
        const value = interpolateEnv(original, env);
        node.value = node.type === Scalar.PLAIN && original.includes('${') ? retype(value) : value;
      } catch (err) {
        if (!(err instanceof InterpolationProblem)) throw err;
        const at = source.at(node, formatSettingPath(pathOfAncestors(ancestors, node)));
        throw configError('DEBSTASH_E_CONFIG_ENV', at, err.message, err.variable ? { variable: err.variable } : {});
      }
    },
  });
  return validateConfig(doc.toJS(), source);
}
