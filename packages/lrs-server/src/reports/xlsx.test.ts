import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { toXlsx } from './xlsx.js';

describe('toXlsx', () => {
  it('writes text a spreadsheet would run as a formula as plain text, and the generation time as a date', async () => {
    const report = { report: 'at-risk', period: '2026', generatedAt: '2026-03-02T08:00:00.000Z', columns: ['learnerId', 'displayName', 'earned', 'tags'] as const, rows: [{ learnerId: 'E-1', displayName: '=HYPERLINK("http://evil.example","x")', earned: -1.5, tags: ['a'] }], learners: 1 };
    const book = new ExcelJS.Workbook();
    await book.xlsx.load((await toXlsx({ ...report, columns: [...report.columns] })) as unknown as ExcelJS.Buffer);
    const row = book.getWorksheet('at-risk')!.getRow(2);
    expect(row.getCell(2).type).toBe(ExcelJS.ValueType.String);
    expect(row.getCell(2).value).toBe('=HYPERLINK("http://evil.example","x")');
    expect(row.getCell(3).type).toBe(ExcelJS.ValueType.Number);
    expect(row.getCell(3).value).toBe(-1.5);
    expect(row.getCell(4).value).toBe('["a"]');
    const about = book.getWorksheet('about')!;
    expect(about.getRow(4).values).toEqual([undefined, 'generatedAt', new Date('2026-03-02T08:00:00.000Z')]);
    expect(about.getRow(4).getCell(2).type).toBe(ExcelJS.ValueType.Date);
    expect(about.getRow(5).values).toEqual([undefined, 'learners', 1]);
  });
});
