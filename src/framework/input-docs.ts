/**
 * What a function takes, described for people: its input schema as JSON Schema and an example
 * derived from it, so `leedz invoke NAME --help` and the console's "send an event" form can show a
 * caller what to send without reading the source. A controller has one per route, as the flat
 * envelope (`{"function": route, …}`).
 *
 * @example
 * describeSchema(z.object({ email: z.email(), count: z.int().min(1) }));
 * // → { schema: { type: 'object', … }, example: { email: 'pat@example.com', count: 1 } }
 */
import { z } from 'zod';

export interface InputDescription {
  /** The route of a controller; absent for a function. */
  route?: string;
  /** JSON Schema (draft 2020-12) of what a caller sends. */
  schema: Record<string, unknown>;
  /** A value that satisfies the schema's shape, for a caller to start from. */
  example: unknown;
}

/** The JSON Schema of what `schema` accepts as input, and an example. */
export function describeSchema(schema: z.ZodType): Omit<InputDescription, 'route'> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { schema: json, example: exampleOf(json, json) };
}

type JsonSchema = Record<string, unknown>;

/**
 * A plausible value for a JSON Schema: its `default` or first `examples`/`enum` value when it has one,
 * else one built from its type and format — every required property of an object (all of them when
 * none is required), one item of an array, a number at its minimum.
 */
export function exampleOf(schema: unknown, root: JsonSchema = {}, depth = 0): unknown {
  if (schema === null || typeof schema !== 'object' || depth > 8) return null;
  const s = schema as JsonSchema;
  if (typeof s.$ref === 'string') return exampleOf(resolveRef(root, s.$ref), root, depth + 1);
  if ('const' in s) return s.const;
  if ('default' in s) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) {
      const concrete = options.find((option) => (option as JsonSchema)?.type !== 'null') ?? options[0];
      return exampleOf(concrete, root, depth + 1);
    }
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : [];
      const names = required.length > 0 ? required : Object.keys(properties);
      return Object.fromEntries(names.map((name) => [name, exampleOf(properties[name], root, depth + 1)]));
    }
    case 'array': {
      const minItems = typeof s.minItems === 'number' ? s.minItems : 1;
      return Array.from({ length: Math.max(1, Math.min(minItems, 3)) }, () => exampleOf(s.items, root, depth + 1));
    }
    case 'integer':
    case 'number': {
      if (typeof s.minimum === 'number') return s.minimum;
      if (typeof s.exclusiveMinimum === 'number') return type === 'integer' ? s.exclusiveMinimum + 1 : s.exclusiveMinimum + 0.5;
      return typeof s.maximum === 'number' && s.maximum < 1 ? s.maximum : 1;
    }
    case 'boolean':
      return false;
    case 'string':
      return stringExample(s);
    default:
      return null;
  }
}

function stringExample(s: JsonSchema): string {
  switch (s.format) {
    case 'email':
      return 'pat@example.com';
    case 'date-time':
      return '2030-06-15T18:00:00Z';
    case 'date':
      return '2030-06-15';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return '01938f00-0000-7000-8000-000000000000';
    default:
      return typeof s.minLength === 'number' && s.minLength > 6 ? 'x'.repeat(s.minLength) : 'string';
  }
}

function resolveRef(root: JsonSchema, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as JsonSchema)[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined), root);
}
