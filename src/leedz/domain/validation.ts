/**
 * The shape every domain validator returns, and the few helpers that turn zod's issues into it.
 * The HTTP layer maps a refusal straight to `400 {error: {code, message, fields}}`, so each bad field
 * appears once, under a dotted path, with a message that reads after the field's name
 * ("title: must be at most 120 characters").
 */
import { z } from 'zod';

/**
 * One bad field and why.
 *
 * @example
 * const bad: FieldError = { path: 'visibility.clientEmail', message: 'cannot hide an empty field' };
 */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * Either the validated (and normalised) value, or every bad field. A value, not an exception:
 * bad input is an expected outcome, and callers must not be able to forget the refusal branch.
 *
 * @example
 * const result: ValidationResult<number> = { ok: false, fields: [{ path: 'price', message: 'is required' }] };
 * if (!result.ok) console.log(result.fields.map((f) => `${f.path}: ${f.message}`));
 */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; fields: FieldError[] };

// What a terminal, an email client or a calendar would act on rather than show: the C0 and C1
// controls (NEL, CSI), DEL, and the bidi overrides and isolates that make text read other than it is
// stored ("Trojan Source"); in one line, also the Unicode line and paragraph separators.
// RFC 5545 §3.3.11 allows no control character in a TEXT value (the calendar feed) either.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
// A text of several lines keeps its line breaks and tabs: what a pasted list is made of.
const CONTROL_CHARACTERS_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const EVERY_CONTROL_CHARACTER_BUT_LINES = new RegExp(CONTROL_CHARACTERS_BUT_LINES.source, 'g');
export const CONTROL_MESSAGE = 'must not contain control characters';

/**
 * Whether text holds a character that is not text to show: a control character, or a bidirectional
 * override. With `lines`, line breaks and tabs are text (a field of several lines keeps them).
 *
 * @example
 * hasControlCharacters('DJ\u202Eroh'); // → true
 * hasControlCharacters('one\ntwo', { lines: true }); // → false
 */
export function hasControlCharacters(text: string, options: { lines?: boolean } = {}): boolean {
  return (options.lines === true ? CONTROL_CHARACTERS_BUT_LINES : CONTROL_CHARACTERS).test(text);
}

/**
 * Text without the characters {@link hasControlCharacters} finds, line breaks and tabs kept: for text
 * stored before the rule, on its way to where such characters do harm (a calendar feed).
 *
 * @example
 * withoutControlCharacters('DJ\u0000 night\n'); // → 'DJ night\n'
 */
export function withoutControlCharacters(text: string): string {
  return text.replace(EVERY_CONTROL_CHARACTER_BUT_LINES, '');
}

/**
 * The messages for issues that a field schema does not word itself: a missing value, a value of the
 * wrong JSON type, and a number, text or list out of its bounds (in the API's words, never zod's
 * "Too small: expected number to be >=1"). Passed per parse (never with `z.config`, which would
 * change every other zod user in the process).
 *
 * @example
 * schema.safeParse(body, { error: describeIssue });
 * // z.coerce.number().int().min(1).max(5000) given 0 → 'must be a whole number from 1 to 5,000'
 * // z.string().max(64) given 65 characters       → 'must be at most 64 characters'
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === 'too_small' || issue.code === 'too_big') return describeBound(issue);
  if (issue.code !== 'invalid_type') return undefined;
  if (issue.input === undefined || issue.input === null) return 'is required';
  return EXPECTED[issue.expected] ?? `must be of type ${issue.expected}`;
};

/** A bound a value is outside of, as a rule: a whole number's range whole when its schema has both ends. */
function describeBound(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig>): string | undefined {
  const small = issue.code === 'too_small';
  const bound = Number(small ? issue.minimum : issue.maximum);
  if (!Number.isFinite(bound)) return undefined;
  const exact = issue.inclusive !== false;
  switch (issue.origin) {
    case 'number': {
      const schema = issue.schema;
      if (exact && schema instanceof z.ZodNumber && schema.isInt && Number.isFinite(schema.minValue) && Number.isFinite(schema.maxValue)) {
        return `must be a whole number from ${counted(schema.minValue!)} to ${counted(schema.maxValue!)}`;
      }
      if (small) return exact ? `must be at least ${counted(bound)}` : `must be more than ${counted(bound)}`;
      return exact ? `must be at most ${counted(bound)}` : `must be less than ${counted(bound)}`;
    }
    case 'string':
      return `must be ${small ? 'at least' : 'at most'} ${counted(bound)} ${bound === 1 ? 'character' : 'characters'}`;
    case 'array':
      return `must list ${small ? 'at least' : 'at most'} ${counted(bound)}`;
    default:
      return undefined;
  }
}

/** A count as the messages write it: `5,000`. */
function counted(n: number): string {
  return n.toLocaleString('en-US');
}

const EXPECTED: Partial<Record<string, string>> = {
  string: 'must be text',
  number: 'must be a number',
  int: 'must be a whole number',
  boolean: 'must be true or false',
  object: 'must be an object',
  array: 'must be a list',
};

/**
 * Turns a zod error into field errors, one per path (the first issue wins: it is the most basic one,
 * since zod checks a type before its refinements). Unknown keys become one error each, worded by
 * `unknownKey` (given the key and the path of the object holding it, `[]` for the body) so that a
 * caller can say "cannot be changed" rather than "unknown".
 *
 * @example
 * fieldErrorsOf(schema.safeParse({ titel: 'x' }).error!, () => 'is not a field of a leed');
 * // → [{ path: 'titel', message: 'is not a field of a leed' }, { path: 'title', message: 'is required' }]
 */
export function fieldErrorsOf(
  error: z.ZodError,
  unknownKey: (key: string, parent: readonly PropertyKey[]) => string,
): FieldError[] {
  const fields: FieldError[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields.push({ path: joinPath([...issue.path, key]), message: unknownKey(key, issue.path) });
    } else {
      fields.push({ path: joinPath(issue.path), message: issue.message });
    }
  }
  return firstPerPath(fields);
}

/**
 * The known key a misspelt one most likely meant: the same in another case, or one or two edits
 * away (`trade` for `trades`, `raduis` for `radius`); undefined when none is that close, or two are.
 *
 * @example
 * closestKey('trade', ['trades', 'from', 'to']); // → 'trades'
 * closestKey('x', ['trades', 'from', 'to']);     // → undefined
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameButCase = known.filter((k) => k.toLowerCase() === lower);
  if (sameButCase.length === 1) return sameButCase[0];
  // Keys this short are all within two edits of each other: no guess is better than a wrong one.
  if (key.length < 3) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  let ties = 0;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance, ties] = [candidate, distance, 0];
    else if (distance === bestDistance) ties += 1;
  }
  return ties === 0 ? best : undefined;
}

/**
 * `message` for a key nobody takes, with the known key it most likely meant when one is close
 * ({@link closestKey}).
 *
 * @example
 * withLikelyKey('is not a field of a leed', 'titel', ['title', 'price']); // → 'is not a field of a leed; did you mean "title"?'
 */
export function withLikelyKey(message: string, key: string, known: readonly string[]): string {
  const meant = closestKey(key, known);
  return meant === undefined ? message : `${message}; did you mean "${meant}"?`;
}

/** Levenshtein distance (insertions, deletions, substitutions), for the short keys of a request. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Keeps the first error for each path, in order.
 *
 * @example
 * firstPerPath([{ path: 'end', message: 'a' }, { path: 'end', message: 'b' }]); // → [{ path: 'end', message: 'a' }]
 */
export function firstPerPath(fields: readonly FieldError[]): FieldError[] {
  const byPath = new Map<string, FieldError>();
  for (const field of fields) if (!byPath.has(field.path)) byPath.set(field.path, field);
  return [...byPath.values()];
}

/**
 * A change (PATCH) must be a JSON object of the fields to change: `null`, an array or a bare value
 * is refused as what it is, where {@link bodyOf} would read it as `{}`, a change of nothing.
 *
 * @example
 * changeBodyErrors([], '{"price": 2500}'); // → [{ path: '(body)', message: 'must be a JSON object of the fields to change, like {"price": 2500}' }]
 */
export function changeBodyErrors(input: unknown, example: string): FieldError[] {
  return isJsonObject(input) ? [] : [{ path: '(body)', message: `must be a JSON object of the fields to change, like ${example}` }];
}

function isJsonObject(input: unknown): input is object {
  return typeof input === 'object' && input !== null && !Array.isArray(input);
}

/**
 * The request body as a record of its own properties. Anything that is not a plain JSON object is
 * validated as `{}`, so the refusal still names the fields that are required rather than "the body".
 * Top-level strings are trimmed and a blank one counts as absent (`null`): an HTML form sends `""` for
 * a field left empty, and "empty" has one meaning everywhere (required, clearable, hideable).
 *
 * @example
 * bodyOf({ title: '  Gig ', details: '   ' }); // → { title: 'Gig', details: null }
 * bodyOf([1, 2]);                               // → {}
 */
export function bodyOf(input: unknown): Record<string, unknown> {
  if (!isJsonObject(input)) return {};
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    const text = typeof value === 'string' ? value.trim() : value;
    // defineProperty, not assignment: a JSON key "__proto__" must stay an own (and unknown) key.
    Object.defineProperty(body, key, { value: text === '' ? null : text, enumerable: true, writable: true, configurable: true });
  }
  return body;
}

function joinPath(path: readonly PropertyKey[]): string {
  // A root-level issue cannot happen for an object body, but a refusal must always name something.
  // An empty key is a key too; quoted, so that the path is never blank.
  return path.length === 0 ? '(body)' : path.map((key) => (key === '' ? '""' : String(key))).join('.');
}
