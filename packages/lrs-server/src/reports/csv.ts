/**
 * Rows as CSV (RFC 4180, CRLF, UTF-8 with a byte-order mark so spreadsheet programs read
 * non-Latin names right). Text that a spreadsheet would run as a formula is quoted with a
 * leading apostrophe.
 *
 * @example
 * toCsv(['group', 'learners'], [{ group: 'nursing', learners: 12 }]); // '\uFEFFgroup,learners\r\nnursing,12\r\n'
 */
export function toCsv<Row extends object>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  const lines = [columns.map(cell).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c])).join(','));
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
