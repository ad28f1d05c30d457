import ExcelJS from 'exceljs';
import type { Report } from './reports.js';

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// Shares (0–1) show as percentages; the cell still holds the number.
const PERCENT = new Set(['metRate', 'completionRate', 'averageEngagement']);

/** A value as a typed cell: numbers stay numbers, dates dates, lists and objects JSON text. */
function cell(value: unknown): ExcelJS.CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value instanceof Date) return value;
  return JSON.stringify(value);
}

/**
 * A report as an XLSX workbook (exceljs): one sheet named after the report with a bold, frozen
 * header row and one typed row per report row, and an "about" sheet with the report's name,
 * period, generation time (a date cell) and its other figures. Text is written as text: a cell
 * that starts with "=" is never a formula in XLSX, so no apostrophe is needed.
 *
 * @example
 * res.type(XLSX_TYPE).send(await toXlsx(await summaryReport(db, scope, 'department')));
 */
export async function toXlsx<Row extends object>(report: Report<Row>): Promise<Buffer> {
  const generatedAt = new Date(report.generatedAt);
  const book = new ExcelJS.Workbook();
  book.creator = 'xcredit';
  book.created = generatedAt;
  book.modified = generatedAt;

  const sheet = book.addWorksheet(report.report, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = report.columns.map((key) => ({ header: key, key, width: Math.max(12, key.length + 4), ...(PERCENT.has(key) ? { style: { numFmt: '0.0%' } } : {}) }));
  sheet.getRow(1).font = { bold: true };
  for (const row of report.rows) sheet.addRow(report.columns.map((key) => cell((row as Record<string, unknown>)[key])));
  if (report.rows.length) sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: report.columns.length } };

  const about = book.addWorksheet('about', { views: [{ state: 'frozen', ySplit: 1 }] });
  about.columns = [
    { header: 'field', key: 'field', width: 20 },
    { header: 'value', key: 'value', width: 28 },
  ];
  about.getRow(1).font = { bold: true };
  about.addRow(['report', report.report]);
  about.addRow(['period', report.period]);
  about.addRow(['generatedAt', generatedAt]).getCell(2).numFmt = 'yyyy-mm-dd hh:mm:ss "UTC"';
  for (const [key, value] of Object.entries(report)) {
    if (['report', 'period', 'generatedAt', 'columns', 'rows'].includes(key)) continue;
    if (value === null || ['number', 'string', 'boolean'].includes(typeof value)) about.addRow([key, cell(value)]);
    // A total row (the summary's) as one line per figure.
    else if (typeof value === 'object' && !Array.isArray(value)) for (const [sub, v] of Object.entries(value)) about.addRow([`${key}.${sub}`, cell(v)]);
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}
