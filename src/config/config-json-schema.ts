import { z } from 'zod';
import { configSchema } from './config-schema.js';

/**
 * The JSON Schema editors check debstash.yaml with (checked in as debstash.schema.json; a test
 * keeps the two equal). `input`: what a user may write, so defaulted keys are optional.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input' }),
    title: 'debstash.yaml',
  };
}

/** The text of debstash.schema.json. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
