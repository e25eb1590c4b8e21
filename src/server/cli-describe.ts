/**
 * What `leedz invoke NAME --help` prints: a function's input, derived from its JSON Schema as
 * `GET /local/functions/NAME` gives it — each field with its type and rules, and an example payload.
 *
 * @example
 * console.log(describeFunction(await getJson<FunctionDetail>(values, '/local/functions/getLeed')));
 */
import type { FunctionDetail } from '../runtime/views.js';
import { shellQuote } from './cli-support.js';

/**
 * A function's input as `invoke NAME --help` shows it: for each route (a function has one), its fields
 * and an example payload, both derived from the function's own schema.
 */
export function describeFunction(fn: FunctionDetail): string {
  const lines = [`${fn.name}: a ${fn.kind === 'controller' ? 'controller (invoke it with --type Event)' : 'request-response function'}; timeout ${fn.config.timeoutSeconds} s`];
  for (const input of fn.inputs) {
    lines.push('', input.route === undefined ? 'Input fields:' : `Route "${input.route}" (the payload's "function"), fields:`);
    const fields = fieldLines(input.schema, '  ');
    lines.push(...(fields.length > 0 ? fields : ['  (none)']));
    lines.push('For example:', `  leedz invoke ${fn.name} --payload ${shellQuote(JSON.stringify(input.example))}${fn.kind === 'controller' ? ' --type Event' : ''}`);
  }
  lines.push('', `The JSON Schema of each input: GET /local/functions/${fn.name} (signed; the CLI's credentials).`);
  return lines.join('\n');
}

type Json = Record<string, unknown>;

/** One line per field of an object schema (nested objects indented): name, type and rules, required or not. */
function fieldLines(schema: Json, indent: string): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const width = Math.max(0, ...Object.keys(properties).map((name) => name.length));
  return Object.entries(properties).flatMap(([name, property]) => {
    const line = `${indent}${name.padEnd(width)}  ${typeOf(property)}${required.has(name) ? ' (required)' : ''}`;
    return property.type === 'object' && property.properties !== undefined ? [line, ...fieldLines(property, `${indent}  `)] : [line];
  });
}

/** `1–100 characters`, `at least 1 character`, `at most 5`… from a lower and an upper bound (either may be missing). */
function range(low: unknown, high: unknown, unit: string): string[] {
  const lowText = typeof low === 'string' ? low : typeof low === 'number' && low > 0 ? String(low) : undefined;
  if (lowText !== undefined && typeof high === 'number') return [`${lowText}–${high}${unit}`];
  if (lowText !== undefined) return [lowText.startsWith('above') ? `${lowText}${unit}` : `at least ${lowText}${lowText === '1' ? unit.replace(/s$/, '') : unit}`];
  if (typeof high === 'number') return [`at most ${high}${unit}`];
  return [];
}

function typeOf(property: Json): string {
  // A value sent as text (a query's number): what the text must hold.
  if (typeof property.contentSchema === 'object' && property.contentSchema !== null) return `text of ${typeOf(property.contentSchema as Json)}`;
  if (Array.isArray(property.enum)) return `one of ${property.enum.join(', ')}${'default' in property ? ` (default ${String(property.default)})` : ''}`;
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (Array.isArray(property[key])) return (property[key] as Json[]).map(typeOf).join(' or ');
  }
  const rules: string[] = [];
  if (typeof property.format === 'string') rules.push(property.format);
  rules.push(...range(property.minLength, property.maxLength, ' characters'));
  const maximum = typeof property.maximum === 'number' && property.maximum < Number.MAX_SAFE_INTEGER ? property.maximum : undefined;
  const minimum = property.minimum ?? (typeof property.exclusiveMinimum === 'number' ? `above ${property.exclusiveMinimum}` : undefined);
  rules.push(...range(minimum, maximum, ''));
  if ('default' in property) rules.push(`default ${JSON.stringify(property.default)}`);
  const type = Array.isArray(property.type) ? property.type.join(' or ') : typeof property.type === 'string' ? property.type : 'any';
  const items = property.type === 'array' && typeof property.items === 'object' ? ` of ${typeOf(property.items as Json)}` : '';
  return `${type}${items}${rules.length > 0 ? `, ${rules.join(', ')}` : ''}`;
}
