import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestServer, type Engine, type TestServer } from '../testing.js';
import { parseCsv, searchLearners } from './learners.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];

describe('parseCsv', () => {
  it('reads quoted fields with commas, quotes and line breaks, and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",z\n')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['multi\nline', 'z'] },
    ]);
  });

  it('names the line a record starts on past blank lines and quoted line breaks, and refuses an open quote', () => {
    expect(parseCsv('\uFEFFa,b\n\n"two\r\nlines",x\r,\nlast,"q ""r"""')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 3, cells: ['two\r\nlines', 'x'] },
      { line: 6, cells: ['last', 'q "r"'] },
    ]);
    expect(() => parseCsv('a,b\n"open,x\nmore\n')).toThrow(/line \d+: a quoted field is not closed/);
  });
});

describe.each(engines)('learner import on %s', (engine) => {
  let server: TestServer;
  const post = async (body: string, type: string) => {
    const res = await fetch(`${server.url}/api/v1/learners/import`, { method: 'POST', headers: { authorization: server.admin.authorization, 'content-type': type }, body });
    return { status: res.status, body: await res.json() };
  };
  const count = async () => Number((await server.store.db.selectFrom('learners').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined });
  });
  afterAll(() => server?.close());

  it('imports and updates learners from CSV', async () => {
    const csv = 'learnerId,displayName,department,role,managerId\nT-1,"Li, Wei",math,teacher,T-9\nT-2,Ana,science,teacher,T-9\nT-9,Boss,,head,\n';
    expect(await post(csv, 'text/csv')).toEqual({ status: 200, body: { created: 3, updated: 0 } });
    expect(await post('learnerId,department\nT-1,physics\n', 'text/csv')).toEqual({ status: 200, body: { created: 0, updated: 1 } });
    const t1 = await (await fetch(`${server.url}/api/v1/learners/T-1`, { headers: { authorization: server.admin.authorization } })).json();
    expect(t1).toMatchObject({ learnerId: 'T-1', department: 'physics' });
  });

  it('names the line and field of every problem and imports nothing', async () => {
    const before = await count();
    const csv = 'learnerId,department,role\nok-1,math,teacher\nbad id,math,teacher\nok-2,math\nok-1,math,teacher\n';
    const res = await post(csv, 'text/csv');
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('nothing was imported');
    expect(res.body.error.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'line 3.learnerId' }),
        expect.objectContaining({ path: 'line 4.(row)', message: 'has 2 fields; the header has 3' }),
        expect.objectContaining({ path: 'line 5.learnerId', message: '"ok-1" is also on line 2' }),
      ]),
    );
    expect(await count()).toBe(before);
    const header = await post('id,dept\nx,y\n', 'text/csv');
    expect(header.status).toBe(400);
    expect(header.body.error.message).toContain('line 1, id: unknown column');
    const json = await post(JSON.stringify([{ learnerId: 'J-1' }, { learnerId: 'J-2', shoe: 42 }]), 'application/json');
    expect(json.status).toBe(400);
    expect(json.body.error.issues[0]).toMatchObject({ path: 'line 2.(row)' });
    expect(await count()).toBe(before);
  });

  it('reads, writes, pages and searches learners; 4xx names what is wrong and writes nothing', async () => {
    const api = (path: string, init: RequestInit = {}) => fetch(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: server.admin.authorization, 'content-type': 'application/json' } });
    expect((await api('/learners/P-1', { method: 'PUT', body: JSON.stringify({ displayName: 'Pia Ro', department: 'paging' }) })).status).toBe(201);
    const updated = await api('/learners/P-1', { method: 'PUT', body: JSON.stringify({ displayName: 'Pia Rossi', department: 'paging' }) });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ learnerId: 'P-1', displayName: 'Pia Rossi', department: 'paging' });
    for (const id of ['P-2', 'P-3']) await api(`/learners/${id}`, { method: 'PUT', body: JSON.stringify({ department: 'paging' }) });
    for (const id of ['Q_1', 'QX1']) await api(`/learners/${id}`, { method: 'PUT', body: JSON.stringify({ department: 'search' }) });
    expect(await (await api('/learners/P-1')).json()).toEqual({ learnerId: 'P-1', displayName: 'Pia Rossi', department: 'paging', role: null, managerId: null, email: null, language: null, managerEmail: null, remindersOptOut: false });

    const first = await (await api('/learners?department=paging&limit=2')).json();
    expect(first.learners.map((l: { learnerId: string }) => l.learnerId)).toEqual(['P-1', 'P-2']);
    expect(first.next).toBe('P-2');
    expect(await (await api(`/learners?department=paging&limit=2&after=${first.next}`)).json()).toEqual({ learners: [expect.objectContaining({ learnerId: 'P-3' })], next: null });

    // A LIKE wildcard in the search text matches only itself; the search ignores case.
    expect((await searchLearners(server.store.db, 'default', '_')).map((l) => l.learnerId)).toEqual(['Q_1']);
    expect(await searchLearners(server.store.db, 'default', 'pia ROSSI')).toEqual([{ learnerId: 'P-1', displayName: 'Pia Rossi', department: 'paging', role: null, managerId: null, email: null, language: null, managerEmail: null, remindersOptOut: false }]);

    const unknown = await api('/learners/ghost');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.message).toContain('ghost');
    const badLimit = await api('/learners?limit=0');
    expect(badLimit.status).toBe(400);
    expect((await badLimit.json()).error.message).toContain('limit');
    const badId = await api('/learners/bad%20id', { method: 'PUT', body: JSON.stringify({}) });
    expect(badId.status).toBe(400);
    expect((await badId.json()).error.message).toContain('learnerId');
    const badField = await api('/learners/P-9', { method: 'PUT', body: JSON.stringify({ shoe: 42 }) });
    expect(badField.status).toBe(400);
    expect(JSON.stringify(await badField.json())).toContain('shoe');
    expect((await api('/learners/P-9')).status).toBe(404);
  });
});
