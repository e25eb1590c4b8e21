/**
 * Lambda's FunctionName forms: `name`, `name:qualifier`, a partial ARN `123456789012:function:name`
 * and a full ARN `arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]`
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 *
 * @example
 * parseFunctionName('arn:aws:lambda:local:000000000000:function:emailHelper:$LATEST')
 * // → { name: 'emailHelper', qualifier: '$LATEST' }
 */

export interface ParsedFunctionName {
  name: string;
  qualifier?: string;
}

/** The pattern Lambda's API documents for `FunctionName`, quoted in its validation errors. */
export const FUNCTION_NAME_PATTERN = '(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';

// A name as the pattern admits it (a dot included, any length within the 170 of the whole): a name
// no function can have (CreateFunction allows no dot, at most 64 characters) is looked up, and not
// found, rather than refused as the pattern's breach it is not.
const NAME = '[A-Za-z0-9_.-]+';
const QUALIFIER = '(\\$LATEST|[A-Za-z0-9_-]{1,128})';
const FULL_ARN = new RegExp(`^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\\d{12}:function:(${NAME})(?::${QUALIFIER})?$`);
const PARTIAL_ARN = new RegExp(`^\\d{12}:function:(${NAME})(?::${QUALIFIER})?$`);
const PLAIN = new RegExp(`^(${NAME})(?::${QUALIFIER})?$`);
const QUALIFIER_FORM = new RegExp(`^${QUALIFIER}$`);

/** The pattern Lambda's API documents for the `Qualifier` parameter, quoted in its validation errors. */
export const QUALIFIER_PATTERN = '(|[a-zA-Z0-9$_-]+)';
const QUALIFIER_PARAMETER = /^[a-zA-Z0-9$_-]+$/;

/**
 * The rule of Lambda's `Qualifier` parameter (length 1–128, pattern {@link QUALIFIER_PATTERN}:
 * https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_RequestSyntax) that
 * `value` breaks, worded as Lambda's validation errors word it; undefined when it keeps them all.
 * The pattern admits the empty string, so an empty value breaks the length, not the pattern.
 *
 * @example
 * qualifierViolation(''); // "Value '' at 'qualifier' failed to satisfy constraint: Member must have length greater than or equal to 1"
 */
export function qualifierViolation(value: string): string | undefined {
  const broken =
    value.length < 1
      ? 'Member must have length greater than or equal to 1'
      : value.length > 128
        ? 'Member must have length less than or equal to 128'
        : QUALIFIER_PARAMETER.test(value)
          ? undefined
          : `Member must satisfy regular expression pattern: ${QUALIFIER_PATTERN}`;
  return broken === undefined ? undefined : `Value '${value}' at 'qualifier' failed to satisfy constraint: ${broken}`;
}

/**
 * Whether a valid `Qualifier` can name a version or an alias (`$LATEST`, or letters, digits, `-` and
 * `_`): the parameter's pattern also admits a `$` elsewhere, which no version or alias name has, so
 * such a qualifier designates no function (Lambda's answer is ResourceNotFoundException).
 */
export function namesVersionOrAlias(qualifier: string): boolean {
  return QUALIFIER_FORM.test(qualifier);
}

/** The longest `FunctionName` Invoke takes, whatever its form. */
export const MAX_FUNCTION_NAME = 170;

/** Parse a FunctionName, or return undefined when it is none of Lambda's forms. */
export function parseFunctionName(raw: string): ParsedFunctionName | undefined {
  if (raw.length === 0 || raw.length > MAX_FUNCTION_NAME) return undefined;
  const match = FULL_ARN.exec(raw) ?? PARTIAL_ARN.exec(raw) ?? PLAIN.exec(raw);
  if (match === null) return undefined;
  const parsed: ParsedFunctionName = { name: match[1]! };
  if (match[2] !== undefined) parsed.qualifier = match[2];
  return parsed;
}
