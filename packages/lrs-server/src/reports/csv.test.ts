import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { toCsv } from './csv.js';

describe('toCsv', () => {
  it('writes a header, CRLF lines and a byte-order mark, and reads back to the same cells', () => {
    const csv = toCsv(['group', 'learners', 'note'], [
      { group: 'nursing', learners: 12, note: 'a, "quoted" name' },
      { group: '护理部', learners: 0, note: 'two\nlines' },
    ]);
    expect(csv.startsWith('\uFEFFgroup,learners,note\r\nnursing,12,')).toBe(true);
    expect(parse(csv, { bom: true })).toEqual([
      ['group', 'learners', 'note'],
      ['nursing', '12', 'a, "quoted" name'],
      ['护理部', '0', 'two\nlines'],
    ]);
  });

  it('puts an apostrophe before text a spreadsheet would run as a formula, and leaves numbers alone', () => {
    const rows = ['=HYPERLINK("http://evil.example","x")', '+1', '-2', '@SUM(A1)', '\tcmd', '\rcmd', 'ok=1', "'already"].map((name, i) => ({ name, n: -i, list: i === 0 ? ['=1'] : null, flag: i === 1 }));
    const table = parse(toCsv(['name', 'n', 'list', 'flag'], rows), { bom: true, relax_quotes: true }) as string[][];
    expect(table.slice(1).map((r) => r[0])).toEqual(["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tcmd", "'\rcmd", 'ok=1', "'already"]);
    expect(table.slice(1).map((r) => r[1])).toEqual(['0', '-1', '-2', '-3', '-4', '-5', '-6', '-7']);
    expect(table[1]![2]).toBe('["=1"]');
    expect(table.slice(1, 3).map((r) => r[3])).toEqual(['false', 'true']);
  });
});
