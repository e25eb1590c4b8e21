/**
 * US postal rules shared by leedz (the gig's street address) and users (their home zip).
 */
import { z } from 'zod';

const ZIP_MESSAGE = 'must be 5 digits, like "02134"';
// Sent as a JSON number: say why a string (an API client's mistake, not a person's).
const ZIP_TYPE_MESSAGE = 'must be 5 digits in a string, like "02134" (as a number, a leading zero is lost)';

/**
 * A 5-digit US zip, always a string: as a number, "02134" would lose its leading zero (the original
 * service stored zips as numbers and broke New England).
 *
 * @example
 * zipSchema.parse('02134'); // → '02134'
 * zipSchema.safeParse(2134).success; // → false
 */
export const zipSchema = z
  .string({ error: (issue) => (issue.input == null ? undefined : typeof issue.input === 'number' ? ZIP_TYPE_MESSAGE : ZIP_MESSAGE) })
  .regex(/^\d{5}$/, ZIP_MESSAGE);

/** The longest street address accepted; longer text is not an address. */
export const STREET_ADDRESS_MAX_LENGTH = 200;

const ADDRESS_EXAMPLE = '"123 Main St, Springfield, IL 62701"';
// The zip is the last token, set off by a space or comma so that "12362701" is not read as a zip;
// its ZIP+4 form ("62701-1234", as USPS writes it) is the same zip.
const ENDS_WITH_ZIP = /(?:^|[\s,])(\d{5})(?:-\d{4})?$/;
// A house number ("123", "12B", "10-12", "1/2"), then at least one word (the street), then the zip.
// No `i` flag: JSON Schema patterns (the OpenAPI document) cannot carry flags.
const HOUSE_NUMBER_STREET_ZIP = /^\d+[A-Za-z]?(?:[-/]\d+[A-Za-z]?)?[\s,]+\S.*[\s,]\d{5}(?:-\d{4})?$/;

/**
 * A full street address that ends with the 5-digit zip (or its ZIP+4 form), e.g. `123 Main St, Springfield, IL 62701`,
 * normalised to one single-spaced line. Only the outline is checked (house number, street, zip);
 * whether the place exists is the geocoder's call.
 *
 * @example
 * streetAddressSchema.safeParse('123 Main St, Springfield, IL 62701').success; // → true
 * streetAddressSchema.safeParse('Springfield, IL').success;                    // → false
 */
export const streetAddressSchema = z
  .string()
  // One line, single-spaced: a pasted multi-line address reads the same in every email and UI.
  .overwrite((text) => text.trim().replace(/\s+/g, ' '))
  .max(STREET_ADDRESS_MAX_LENGTH, `must be at most ${STREET_ADDRESS_MAX_LENGTH} characters`)
  .regex(ENDS_WITH_ZIP, `must end with the 5-digit zip, like ${ADDRESS_EXAMPLE}`)
  .regex(HOUSE_NUMBER_STREET_ZIP, `must be a full street address starting with the house number, like ${ADDRESS_EXAMPLE}`)
  .describe(`a full street address: house number, street, town, state and the 5-digit zip, like ${ADDRESS_EXAMPLE}`);

/**
 * The 5-digit zip at the end of a street address (of its ZIP+4 form too), or `undefined` when it
 * does not end with one.
 *
 * @example
 * zipOfAddress('123 Main St, Springfield, IL 62701'); // → '62701'
 * zipOfAddress('123 Main St, Springfield, IL 62701-1234'); // → '62701'
 * zipOfAddress('123 Main St');                        // → undefined
 */
export function zipOfAddress(address: string): string | undefined {
  return ENDS_WITH_ZIP.exec(address.trim())?.[1];
}
