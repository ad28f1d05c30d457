import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTenant } from '../auth/clients.js';
import { createClient, startTestServer, watchCourse, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

type Json = Record<string, any>;

describe.each(engines)('reports on %s', (engine) => {
  let server: TestServer;
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: server.admin.authorization, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await call(method, path, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const year = () => String(server.clock!().getUTCFullYear());


  const people: [string, Json][] = [
    ['ana', { displayName: 'Ana Silva', department: 'nursing', role: 'nurse', managerId: 'mia' }],
    ['ben', { displayName: 'Ben Okafor', department: 'nursing', role: 'nurse', managerId: 'mia' }],
    ['cai', { displayName: '蔡明', department: 'admin', role: 'clerk', managerId: 'max' }],
    ['dee', { displayName: 'Dee Park', department: 'admin', role: 'clerk' }],
    ['mia', { displayName: 'Mia Chen', department: 'nursing', role: 'manager' }],
    ['max', { displayName: 'Max Li', department: 'admin', role: 'manager' }],
  ];

  // Starting PGlite and watching each course with its heartbeats takes a while on a busy machine.
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    for (const [id, body] of people) await ok('PUT', `/learners/${id}`, body);
    await ok('PUT', '/courses/ethics', { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 60 });
    await ok('PUT', '/courses/safety', { title: 'Safety', activityId: 'https://example.com/courses/safety', credits: 6, kind: 'required', lengthSeconds: 60 });
    await ok('PUT', `/targets/${year()}`, { total: 10, required: 6 });
    await ok('PUT', `/targets/${year()}/department/nursing`, { total: 8, required: 6 });
    await watchCourse(server, 'ana', 'safety', 60);
    await watchCourse(server, 'ana', 'ethics', 60);
    await watchCourse(server, 'ben', 'ethics', 60);
    await watchCourse(server, 'mia', 'ethics', 2); // 60 s claimed in 2 s
    await ok('POST', '/awards', { learnerId: 'cai', source: 'offline', title: 'Records law seminar', credits: 12, period: year(), kind: 'required' });
    await ok('POST', '/awards', { learnerId: 'max', source: 'growth', title: 'Mentoring', credits: 20, period: year() });
  }, 180_000);
  afterAll(() => server?.close());

  /** What each learner's own credits endpoint says, the reference the reports must agree with. */
  async function standings() {
    const out = new Map<string, Json>();
    for (const [id, info] of people) out.set(id, { ...info, ...(await ok('GET', `/learners/${id}/credits?period=${year()}`)) });
    return out;
  }

  it('summarises credits and targets by department, role and manager, agreeing with every learner’s own standing', async () => {
    const all = await standings();
    expect(all.get('ana')!.status).toBe('met');
    expect(all.get('ben')!.status).toBe('at_risk');
    for (const groupBy of ['department', 'role', 'manager'] as const) {
      const report = await ok('GET', `/reports/summary?groupBy=${groupBy}&period=${year()}`);
      expect(report).toMatchObject({ report: 'summary', period: year(), groupBy });
      const key = groupBy === 'manager' ? 'managerId' : groupBy;
      const groups = new Map<string | null, Json[]>();
      for (const s of all.values()) groups.set(s[key] ?? null, [...(groups.get(s[key] ?? null) ?? []), s]);
      expect(report.rows.map((r: Json) => r.group).sort()).toEqual([...groups.keys()].sort());
      for (const row of report.rows) {
        const members = groups.get(row.group)!;
        const sum = (f: (s: Json) => number) => Math.round(members.reduce((t, s) => t + f(s) * 10, 0)) / 10;
        expect(row).toMatchObject({
          learners: members.length,
          earned: sum((s) => s.earned),
          required: sum((s) => s.required),
          elective: sum((s) => s.elective),
          met: members.filter((s) => s.status === 'met').length,
          onTrack: members.filter((s) => s.status === 'on_track').length,
          atRisk: members.filter((s) => s.status === 'at_risk').length,
        });
      }
      expect(report.total).toMatchObject({ learners: 6, earned: 26, met: 2 });
    }
    const byManager = await ok('GET', '/reports/summary?groupBy=manager');
    expect(byManager.rows.find((r: Json) => r.group === 'mia')).toMatchObject({ groupName: 'Mia Chen', learners: 2, earned: 14, metRate: 0.5 });
    const byDept = await ok('GET', '/reports/summary');
    expect(byDept.groupBy).toBe('department');
    expect(byDept.rows.find((r: Json) => r.group === 'nursing')).toMatchObject({ learners: 3, averageTarget: 8, withTarget: 3, met: 1 });
  });

  it('lists the learners projected to miss their target, with what they lack and the days left', async () => {
    const all = await standings();
    const report = await ok('GET', '/reports/at-risk');
    const expected = [...all.entries()].filter(([, s]) => s.status === 'at_risk').map(([id]) => id);
    expect(report.rows.map((r: Json) => r.learnerId).sort()).toEqual(expected.sort());
    expect(report.atRisk).toBe(expected.length);
    expect(expected).toEqual(expect.arrayContaining(['ben', 'dee', 'mia', 'max']));
    const ben = report.rows.find((r: Json) => r.learnerId === 'ben');
    expect(ben).toMatchObject({ displayName: 'Ben Okafor', earned: 4, required: 0, carried: 0, target: 8, targetRequired: 6, remaining: 4, requiredRemaining: 6, daysLeft: all.get('ben')!.daysLeft, projected: all.get('ben')!.projected });
    const filtered = await ok('GET', '/reports/at-risk?managerId=mia&limit=1');
    expect(filtered.atRisk).toBe(1);
    expect(filtered.rows.map((r: Json) => r.learnerId)).toEqual(['ben']);
    expect((await ok('GET', '/reports/at-risk?department=admin')).rows.map((r: Json) => r.learnerId).sort()).toEqual(['dee', 'max']);
  });

  it('sums each manager’s direct reports and names those at risk', async () => {
    const report = await ok('GET', '/reports/managers');
    expect(report.rows.map((r: Json) => r.managerId)).toEqual(['max', 'mia']);
    expect(report.rows[0]).toMatchObject({ managerName: 'Max Li', learners: 1, earned: 12, met: 1, atRisk: 0, atRiskLearners: '' });
    expect(report.rows[1]).toMatchObject({ managerName: 'Mia Chen', learners: 2, earned: 14, met: 1, atRisk: 1, atRiskLearners: 'ben' });
  });

  it('distributes verified study time into buckets, learners who studied nothing included', async () => {
    const report = await ok('GET', '/reports/study-time');
    expect(report.learners).toBe(6);
    const bucket = (name: string) => report.rows.find((r: Json) => r.bucket === name).learners;
    expect(bucket('none')).toBe(3);
    expect(bucket('0–1h')).toBe(3);
    expect(report.rows.reduce((t: number, r: Json) => t + r.learners, 0)).toBe(6);
    // ana 2 min, ben 1 min, mia only what the clock allowed: well under 4 min in all.
    expect(report.totalHours).toBeGreaterThanOrEqual(0.05);
    expect(report.totalHours).toBeLessThan(0.1);
    expect(report.medianHours).toBe(0);
    const lastYear = await ok('GET', `/reports/study-time?period=${Number(year()) - 1}`);
    expect(lastYear.rows.find((r: Json) => r.bucket === 'none').learners).toBe(6);
  });

  it('ranks courses by launches, with completions and average engagement', async () => {
    const report = await ok('GET', '/reports/hot-courses');
    expect(report.rows.map((r: Json) => r.courseId)).toEqual(['ethics', 'safety']);
    const ethics = report.rows[0];
    expect(ethics).toMatchObject({ title: 'Ethics', launches: 3, learners: 3, completions: 2 });
    const ana = await ok('GET', '/learners/ana/courses/ethics/engagement');
    const mia = await ok('GET', '/learners/mia/courses/ethics/engagement');
    const ben = await ok('GET', '/learners/ben/courses/ethics/engagement');
    expect(ethics.averageEngagement).toBeCloseTo((ana.engagement + ben.engagement + mia.engagement) / 3, 3);
    expect(report.rows[1]).toMatchObject({ launches: 1, completions: 1, completionRate: 1 });
    expect((await ok('GET', '/reports/hot-courses?limit=1')).rows).toHaveLength(1);
  });

  it('counts suspicious engagement flags by code', async () => {
    const report = await ok('GET', '/reports/flags');
    expect(report.rows.find((r: Json) => r.code === 'rate_exceeded')).toMatchObject({ learners: 1, courses: 1 });
    expect(report.rows.every((r: Json) => r.occurrences >= r.learners)).toBe(true);
  });

  it('shows the leaderboard only once the tenant opts in', async () => {
    const off = await call('GET', '/reports/leaderboard');
    expect(off.status).toBe(403);
    expect(off.body.error.message).toContain('PUT /api/v1/settings');
    expect(await ok('GET', '/settings')).toEqual({ leaderboard: false });
    expect(await ok('PUT', '/settings', { leaderboard: true })).toEqual({ leaderboard: true });
    const board = await ok('GET', '/reports/leaderboard?group=department&top=2');
    expect(board.rows.map((r: Json) => [r.rank, r.group])).toEqual([
      [1, 'nursing'],
      [2, 'admin'],
    ]);
    expect(board.rows[0].leaders.map((l: Json) => l.learnerId)).toEqual(['ana', 'ben']);
    expect(board.rows[1]).toMatchObject({ learners: 3, averageEarned: 4, top: '蔡明 (12); Dee Park (0)' });
    await ok('PUT', '/settings', { leaderboard: false });
    expect((await call('GET', '/reports/leaderboard')).status).toBe(403);
  });

  it('answers CSV for ?format=csv and for Accept: text/csv', async () => {
    const csv = await call('GET', '/reports/summary?groupBy=manager&format=csv');
    expect(csv.status).toBe(200);
    expect(csv.type).toContain('text/csv');
    const lines = csv.text.replace(/^\uFEFF/, '').trimEnd().split('\r\n');
    expect(lines[0]).toBe('group,groupName,learners,earned,averageEarned,required,elective,averageTarget,withTarget,met,onTrack,atRisk,metRate');
    expect(lines).toContain('mia,Mia Chen,2,14,7,6,8,8,2,1,0,1,0.5');
    const accepted = await call('GET', '/reports/at-risk', undefined, { accept: 'text/csv' });
    expect(accepted.type).toContain('text/csv');
    expect(accepted.text).toContain('ben,Ben Okafor,nursing,nurse,mia,4,0,0,8,6,');
    const json = await call('GET', '/reports/at-risk?format=json', undefined, { accept: 'text/csv' });
    expect(json.type).toContain('application/json');
  });

  it('answers every report as XLSX, typed cell by cell, for ?format=xlsx and for the XLSX Accept type', async () => {
    const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    await ok('PUT', '/settings', { leaderboard: true });
    const xlsx = async (path: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${server.url}/api/v1${path}`, { headers: { authorization: server.admin.authorization, ...headers } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(XLSX);
      const book = new ExcelJS.Workbook();
      await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as unknown as ExcelJS.Buffer);
      return { book, disposition: res.headers.get('content-disposition') };
    };
    for (const name of ['summary', 'study-time', 'hot-courses', 'at-risk', 'managers', 'leaderboard', 'flags']) {
      const json = await ok('GET', `/reports/${name}`);
      const { book, disposition } = await xlsx(`/reports/${name}?format=xlsx`);
      expect(disposition).toBe(`attachment; filename="${name}-${year()}.xlsx"`);
      const sheet = book.getWorksheet(name)!;
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
      expect(sheet.getRow(1).values).toEqual([undefined, ...json.columns]);
      expect(sheet.getRow(1).font?.bold).toBe(true);
      expect(sheet.rowCount).toBe(json.rows.length + 1);
      json.rows.forEach((row: Json, i: number) => {
        json.columns.forEach((column: string, j: number) => {
          const value = sheet.getRow(i + 2).getCell(j + 1).value;
          const want = row[column];
          // Numbers come back as numbers, text as text, nothing as an empty cell.
          expect(value, `${name} row ${i + 2} ${column}`).toEqual(want === null || want === undefined ? null : typeof want === 'object' ? JSON.stringify(want) : want);
        });
      });
      const about = book.getWorksheet('about')!;
      const fields = new Map<string, unknown>();
      about.eachRow((r, n) => n > 1 && fields.set(String(r.getCell(1).value), r.getCell(2).value));
      expect(fields.get('report')).toBe(name);
      expect(fields.get('period')).toBe(year());
      expect(fields.get('generatedAt')).toBeInstanceOf(Date);
      expect((fields.get('generatedAt') as Date).toISOString()).toBe(json.generatedAt);
    }
    // The numbers the summary sums are numbers in the sheet: a spreadsheet adds them up.
    const { book } = await xlsx(`/reports/summary?groupBy=manager`, { accept: XLSX });
    const summary = book.getWorksheet('summary')!;
    const earned = summary.getColumn(4).values.slice(2) as number[];
    expect(earned.every((v) => typeof v === 'number')).toBe(true);
    expect(summary.getColumn(13).numFmt).toBe('0.0%');
    const aboutSummary = book.getWorksheet('about')!;
    const total = aboutSummary.getSheetValues().find((r) => Array.isArray(r) && r[1] === 'total.learners') as unknown[];
    expect(total[2]).toBe((await ok('GET', '/reports/summary?groupBy=manager')).total.learners);
    expect((await call('GET', '/reports/summary?format=pdf')).status).toBe(400);
    await ok('PUT', '/settings', { leaderboard: false });
  });

  it('keeps tenants apart: another tenant’s reports see only its own learners and courses', async () => {
    await ensureTenant(server.store.db, { id: 'other', name: 'Other school', homePage: 'https://other.example' });
    const other = await createClient(server.store.db, { tenantId: 'other', name: 'other admin', scopes: ['credits/admin'] });
    const auth = { authorization: `Basic ${Buffer.from(`${other.key}:${other.secret}`).toString('base64')}`, 'content-type': 'application/json' };
    const as = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
      return res.json();
    };
    await as('PUT', '/learners/ana', { department: 'nursing' });
    await as('PUT', `/targets/${year()}`, { total: 5 });
    const summary = await as('GET', '/reports/summary');
    expect(summary.rows).toEqual([expect.objectContaining({ group: 'nursing', learners: 1, earned: 0, atRisk: 1 })]);
    expect((await as('GET', '/reports/hot-courses')).rows).toEqual([]);
    expect((await as('GET', '/reports/flags')).rows).toEqual([]);
    expect((await as('GET', '/reports/study-time')).learners).toBe(1);
    expect((await ok('GET', '/reports/summary')).total.learners).toBe(6);
  });

  it('refuses bad parameters with a 400 that names them, and readers without credits/read', async () => {
    for (const [path, name] of [
      ['/reports/summary?groupBy=team', 'groupBy'],
      ['/reports/summary?period=26', 'period'],
      ['/reports/summary?format=pdf', 'format'],
      ['/reports/hot-courses?limit=0', 'limit'],
      ['/reports/hot-courses?limit=ten', 'limit'],
      ['/reports/at-risk?managerId=%20x', 'managerId'],
      ['/reports/study-time?bucket=2', 'bucket'],
      ['/reports/leaderboard?group=team', 'group'],
      ['/reports/flags?period=2026&period=2025', 'period'],
    ] as const) {
      const r = await call('GET', path);
      expect(r.status, path).toBe(400);
      expect(r.body.error.message, path).toContain(name);
    }
    const bad = await call('PUT', '/settings', { leaderboard: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('leaderboard');
    expect(await ok('GET', '/settings')).toEqual({ leaderboard: false });
    const writer = await createClient(server.store.db, { tenantId: 'default', name: 'writer', scopes: ['statements/write'] });
    const res = await fetch(`${server.url}/api/v1/reports/summary`, { headers: { authorization: `Basic ${Buffer.from(`${writer.key}:${writer.secret}`).toString('base64')}` } });
    expect(res.status).toBe(403);
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const put = await fetch(`${server.url}/api/v1/settings`, {
      method: 'PUT',
      headers: { authorization: `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify({ leaderboard: true }),
    });
    expect(put.status).toBe(403);
  });
});
