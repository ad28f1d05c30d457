import { spreadsheetSafe } from '@xcredit/sdk/contracts';
import { stringify } from 'csv-stringify/sync';

/**
 * Rows as CSV (RFC 4180, CRLF, UTF-8 with a byte-order mark so spreadsheet programs read
 * non-Latin names right), written by csv-stringify. Text that a spreadsheet would run as a
 * formula gets a leading apostrophe (`spreadsheetSafe`); lists and objects are written as JSON.
 *
 * @example
 * toCsv(['group', 'learners'], [{ group: 'nursing', learners: 12 }]); // '\uFEFFgroup,learners\r\nnursing,12\r\n'
 */
export function toCsv<Row extends object>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  return stringify(rows as unknown as Record<string, unknown>[], {
    bom: true,
    header: true,
    columns: [...columns],
    record_delimiter: 'windows',
    cast: { string: spreadsheetSafe, boolean: String, object: (value) => spreadsheetSafe(JSON.stringify(value)) },
  });
}
