import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient } from '../auth/clients.js';
import { startTestServer, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

describe.each(engines)('importing earlier years’ credits on %s', (engine) => {
  let server: TestServer;
  const send = async (query: string, body: string | Buffer, type = 'text/csv', authorization = server.admin.authorization) => {
    const res = await fetch(`${server.url}/api/v1/history/import?${query}`, { method: 'POST', headers: { authorization, 'content-type': type }, body: typeof body === 'string' ? body : new Uint8Array(body) });
    return { status: res.status, body: await res.json() };
  };
  const ledger = async (learnerId: string, period: string) => {
    const res = await fetch(`${server.url}/api/v1/learners/${learnerId}/ledger?period=${period}`, { headers: { authorization: server.admin.authorization } });
    expect(res.status).toBe(200);
    return (await res.json()).entries as { source: string; amount: number; reason: string; evidence: Record<string, unknown>; createdAt: string; kind: string; category: string | null }[];
  };
  const count = async () => Number((await server.store.db.selectFrom('ledger').select((eb) => eb.fn.countAll<string>().as('n')).where('source', '=', 'import').executeTakeFirstOrThrow()).n);

  const csv = [
    'external_id,learner_id,date,credits,kind,title,category',
    'old-1,ana,2023-03-14,2,required,Fire safety 2023,safety',
    'old-2,ana,2023-11-02,1.5,elective,"Excel, advanced",office',
    'old-3,ben,2024-06-30,3,,Leadership day,',
  ].join('\n');

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
    for (const id of ['ana', 'ben']) {
      const res = await fetch(`${server.url}/api/v1/learners/${id}`, { method: 'PUT', headers: { authorization: server.admin.authorization, 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBeLessThan(300);
    }
  });
  afterAll(() => server?.close());

  it('shows a line-by-line report on a dry run and writes nothing', async () => {
    const res = await send('file=old-system-2023.csv&dryRun=true', csv);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ file: 'old-system-2023.csv', dryRun: true, ok: true, counts: { lines: 3, new: 3, alreadyImported: 0, invalid: 0 } });
    expect(res.body.lines[1]).toEqual({ line: 3, externalId: 'old-2', learnerId: 'ana', date: '2023-11-02', period: '2023', credits: 1.5, status: 'new', problems: [] });
    expect(await count()).toBe(0);
  });

  it('writes every line as an import entry with its original date, period and source file; a second import changes nothing', async () => {
    const res = await send('file=old-system-2023.csv', csv);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ lines: 3, new: 3, alreadyImported: 0, invalid: 0 });
    const ana = await ledger('ana', '2023');
    expect(ana.map((e) => [e.source, e.amount, e.kind, e.category, e.createdAt.slice(0, 10)])).toEqual([
      ['import', 2, 'required', 'safety', '2023-03-14'],
      ['import', 1.5, 'elective', 'office', '2023-11-02'],
    ]);
    expect(ana[1]!.reason).toBe('imported: Excel, advanced');
    expect(ana[1]!.evidence).toMatchObject({ file: 'old-system-2023.csv', line: 3, externalId: 'old-2' });
    expect((await ledger('ben', '2024')).map((e) => [e.amount, e.kind])).toEqual([[3, 'elective']]);

    const again = await send('file=old-system-2023-copy.csv', csv);
    expect(again.status).toBe(200);
    expect(again.body.counts).toEqual({ lines: 3, new: 0, alreadyImported: 3, invalid: 0 });
    expect(await count()).toBe(3);
  });

  it('writes nothing when any line is wrong, and says what is wrong on each line', async () => {
    const bad = [
      'external_id,learner_id,date,credits,title',
      'new-1,ana,2022-05-01,1,Fine line',
      'new-2,nobody,2022-05-01,1,Unknown learner',
      'new-3,ana,2022-13-01,1,Bad date',
      'new-4,ana,2022-05-01,0,No credits',
      'new-5,ana,2022-05-01,1.25,Two decimals',
      'new-1,ben,2022-05-02,1,Same id twice',
      'old-1,ana,2023-03-14,5,Imported before with other credits',
      'new-6,ana,2999-01-01,1,In the future',
      'new-7,ana,2022-05-01,1,',
    ].join('\n');
    const before = await count();
    const res = await send('file=bad.csv', bad);
    expect(res.status).toBe(422);
    expect(res.body.ok).toBe(false);
    expect(res.body.error).toMatchObject({ status: 422, code: 'invalid_import' });
    expect(res.body.error.message).toMatch(/^nothing was imported: 8 lines have problems: line 3, learner_id: no learner "nobody"/);
    const problems = Object.fromEntries(res.body.lines.map((l: { line: number; problems: { field: string; message: string }[] }) => [l.line, l.problems.map((p) => `${p.field}: ${p.message}`).join('; ')]));
    expect(problems).toEqual({
      2: '',
      3: expect.stringMatching(/^learner_id: no learner "nobody" in this tenant/),
      4: 'date: must be a date as YYYY-MM-DD',
      5: 'credits: must be more than 0',
      6: 'credits: must be a number of credits with at most one decimal, such as 2 or 1.5',
      7: 'external_id: "new-1" is also on line 2',
      8: 'external_id: "old-1" was imported before with other values (ana, 2 credits in 2023)',
      9: 'date: 2999-01-01 is in the future',
      10: 'title: is missing',
    });
    expect(res.body.counts).toEqual({ lines: 9, new: 1, alreadyImported: 0, invalid: 8 });
    expect(await count()).toBe(before);
  });

  it('reads XLSX files, with dates and numbers as Excel keeps them', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('Credits');
    sheet.addRow(['External ID', 'Learner ID', 'Date', 'Credits', 'Kind', 'Title']);
    sheet.addRow(['x-1', 'ben', new Date(Date.UTC(2021, 8, 1)), 2.5, 'required', '消防安全培训']);
    sheet.addRow(['x-2', 'ana', '2021-09-02', 1, 'elective', { richText: [{ text: 'Rich ' }, { text: 'title' }] }]);
    const body = Buffer.from(await book.xlsx.writeBuffer());
    const res = await send('file=history.xlsx', body, XLSX);
    expect(res.status).toBe(200);
    expect(res.body.counts).toEqual({ lines: 2, new: 2, alreadyImported: 0, invalid: 0 });
    expect((await ledger('ben', '2021')).map((e) => [e.amount, e.reason, e.createdAt.slice(0, 10)])).toEqual([[2.5, 'imported: 消防安全培训', '2021-09-01']]);
    expect((await ledger('ana', '2021'))[0]!.reason).toBe('imported: Rich title');
  });

  it('refuses a closed period', async () => {
    const close = await fetch(`${server.url}/api/v1/periods/2019/close`, { method: 'POST', headers: { authorization: server.admin.authorization } });
    expect(close.status).toBe(200);
    const res = await send('file=closed.csv', 'external_id,learner_id,date,credits,title\nc-1,ana,2019-04-01,1,Too late');
    expect(res.status).toBe(422);
    expect(res.body.lines[0].problems).toEqual([{ field: 'date', message: 'period 2019 is closed: reopen it to import into it' }]);
  });

  it('answers a clear 4xx for a file it cannot use, a missing name or option, and a client without credits/admin', async () => {
    const before = await count();
    const cases: [string, string | Buffer, string, number, RegExp][] = [
      ['file=a.csv', 'external_id,learner,date,credits,title\n', 'text/csv', 400, /unknown column "learner"/],
      ['file=a.csv', 'external_id,learner_id,date,title\n', 'text/csv', 400, /missing column credits/],
      ['file=a.csv', '', 'text/csv', 400, /the file is empty/],
      ['file=a.csv', 'external_id,learner_id,date,credits,title\n"unclosed,ana,2020-01-01,1,x\n', 'text/csv', 400, /the CSV cannot be read/],
      ['file=a.xlsx', Buffer.from('not a zip at all'), XLSX, 400, /the XLSX file cannot be read/],
      ['file=a.json', '[]', 'application/json', 415, /send the file as text\/csv/],
      ['dryRun=true', csv, 'text/csv', 400, /file: name the source file/],
      ['file=a.csv&dryRun=maybe', csv, 'text/csv', 400, /dryRun: must be true or false/],
      ['file=a.csv&file=b.csv', csv, 'text/csv', 400, /query parameter file is given more than once/],
      ['file=a.csv', 'external_id,learner_id,date,credits,title\n\n', 'text/csv', 400, /^nothing was imported: the file has no lines under its header line/],
      ['file=a.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x22, 0x0a, 0x00, 0x81]), 'text/csv', 400, /^nothing was imported: /],
      ['file=a.xlsx', csv, XLSX, 400, /^nothing was imported: the XLSX file cannot be read/],
      ['file=a.csv', csv, 'text/html', 415, /send the file as text\/csv .* \(got text\/html\)/],
    ];
    for (const [query, body, type, status, message] of cases) {
      const res = await send(query, body, type);
      expect(res.status, query + type).toBe(status);
      expect(res.body.error.message, query).toMatch(message);
    }
    // A body without any Content-Type is named as such.
    const untyped = await fetch(`${server.url}/api/v1/history/import?file=a.csv`, { method: 'POST', headers: { authorization: server.admin.authorization }, body: new Uint8Array(Buffer.from(csv)) });
    expect(untyped.status).toBe(415);
    expect((await untyped.json()).error.message).toMatch(/\(got no Content-Type\)$/);
    expect(await count()).toBe(before);
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const denied = await send('file=a.csv', csv, 'text/csv', `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`);
    expect(denied.status).toBe(403);
  });
});
