/**
 * Text a spreadsheet program would run as a formula when it opens a CSV file: a cell that starts
 * with `=`, `+`, `-`, `@`, a tab or a carriage return (OWASP's CSV injection list).
 */
export const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * The formula-injection guard every CSV export applies to its text cells: text a spreadsheet
 * would run as a formula gets a leading apostrophe, so it shows as typed and never runs.
 * Numbers stay numbers (a negative number is not text).
 *
 * @example
 * import { stringify } from 'csv-stringify/sync';
 * spreadsheetSafe('=HYPERLINK("http://evil")'); // "'=HYPERLINK(\"http://evil\")"
 * stringify([['=1+1', -3]], { cast: { string: spreadsheetSafe } }); // "'=1+1,-3\n"
 */
export function spreadsheetSafe(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}
