import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XcreditClient, XcreditError } from '@xcredit/sdk';
import { startTestServer, type TestServer } from '@xcredit/lrs-server/testing';
import { postgresUrl, testEngines } from './support/engines.js';

describe.each(testEngines())('growth credits: categories, evidence and yearly caps on %s', (engine) => {
  let server: TestServer;
  let sdk: XcreditClient;
  const year = String(new Date().getUTCFullYear());
  const call = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${server.url}/api/v1${path}`, { method, headers: { authorization: server.admin.authorization, 'content-type': type }, body: body === undefined ? undefined : typeof body === 'string' ? body : body instanceof Uint8Array ? new Blob([body as Uint8Array<ArrayBuffer>]) : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text, headers: res.headers };
  };
  const total = async (learnerId: string) => (await call('GET', `/learners/${learnerId}/ledger?period=${year}`)).body.total as number;

  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: postgresUrl() });
    sdk = new XcreditClient({ baseUrl: server.url, key: server.admin.key, secret: server.admin.secret });
    for (const id of ['t1', 't2']) await call('PUT', `/learners/${id}`, { department: 'Maths' });
  });
  afterAll(() => server?.close());

  it('keeps a tenant list of categories with caps, refusing bad ones by field', async () => {
    expect(await sdk.putGrowthCategory('open-lesson', { name: 'Open lessons', yearlyCap: 6 })).toEqual({ categoryId: 'open-lesson', name: 'Open lessons', yearlyCap: 6 });
    await sdk.putGrowthCategory('research', { name: 'Research projects' });
    expect(await sdk.growthCategories()).toEqual([
      { categoryId: 'open-lesson', name: 'Open lessons', yearlyCap: 6 },
      { categoryId: 'research', name: 'Research projects', yearlyCap: null },
    ]);
    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: 'x', yearlyCap: -1 }, 'yearlyCap'],
      [{ name: 'x', yearlyCap: 1.25 }, 'yearlyCap'],
      [{ name: 'x', cap: 3 }, 'cap'],
    ] as const) {
      const r = await call('PUT', '/growth-categories/new-one', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(r.body.error)).toContain(field);
    }
    expect((await call('PUT', '/growth-categories/bad%20id', { name: 'x' })).status).toBe(400);
    expect((await sdk.growthCategories()).map((c) => c.categoryId)).toEqual(['open-lesson', 'research']);
  });

  it('needs a known category for growth credits, and an http(s) evidence link', async () => {
    const base = { learnerId: 't1', source: 'growth', title: 'Open lesson on fractions', credits: 4, period: year };
    for (const [body, field] of [
      [base, 'category'],
      [{ ...base, category: 'bake-sale' }, 'category'],
      [{ ...base, category: 'open-lesson', evidence: { url: 'javascript:alert(1)' } }, 'evidence.url'],
    ] as const) {
      const r = await call('POST', '/awards', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.message).toContain(field);
    }
    expect((await sdk.awards({ learnerId: 't1' }).next()).done).toBe(true);
  });

  it('stores evidence files with limits on size and type, and serves them back', async () => {
    const award = await sdk.createAward({ learnerId: 't1', source: 'growth', title: 'Open lesson on fractions', credits: 4, period: year, category: 'open-lesson', evidence: { url: 'https://school.example/lessons/42' } });
    const pdf = new TextEncoder().encode('%PDF-1.4\n% lesson plan\n');
    const file = await sdk.addAwardEvidence(award.awardId, '教案 lesson plan.pdf', pdf, 'application/pdf');
    expect(file).toMatchObject({ fileName: '教案 lesson plan.pdf', contentType: 'application/pdf', size: pdf.length });
    const got = await fetch(`${server.url}/api/v1/awards/${award.awardId}/evidence/${file.fileId}`, { headers: { authorization: server.admin.authorization } });
    expect(got.headers.get('content-type')).toContain('application/pdf');
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(pdf);
    const bad: [string, string | Uint8Array, string, number, string][] = [
      ['/evidence?filename=x.exe', 'MZ', 'application/octet-stream', 415, 'Content-Type'],
      ['/evidence?filename=x.html', '<script>', 'text/html', 415, 'Content-Type'],
      ['/evidence?filename=big.pdf', new Uint8Array(5 * 1024 * 1024 + 10), 'application/pdf', 413, 'limit'],
      ['/evidence?filename=empty.txt', '', 'text/plain', 400, 'empty'],
      ['/evidence', 'notes', 'text/plain', 400, 'filename'],
      ['/evidence?filename=a/b.txt', 'notes', 'text/plain', 400, 'filename'],
    ];
    for (const [suffix, body, type, status, text] of bad) {
      const r = await call('POST', `/awards/${award.awardId}${suffix}`, body, type);
      expect(r.status, suffix + type).toBe(status);
      expect(JSON.stringify(r.body), suffix).toContain(text);
    }
    expect((await call('POST', `/awards/00000000-0000-4000-8000-000000000000/evidence?filename=a.txt`, 'x', 'text/plain')).status).toBe(404);
    const read = await sdk.getAward(award.awardId);
    expect(read.files).toEqual([file]);
    expect(read.evidence).toEqual({ url: 'https://school.example/lessons/42' });
  });

  it('credits a capped category only up to its yearly cap, and says why', async () => {
    const [first] = await sdk.awards({ learnerId: 't1' }).next().then((r) => [r.value!]);
    expect(await sdk.approveAward(first.awardId)).toMatchObject({ status: 'approved', creditedCredits: 4, capNote: null });
    const second = await sdk.createAward({ learnerId: 't1', source: 'growth', title: 'Open lesson on geometry', credits: 4, period: year, category: 'open-lesson' });
    const approved = await sdk.approveAward(second.awardId, 'observed by the head of maths');
    expect(approved).toMatchObject({ status: 'approved', credits: 4, creditedCredits: 2, capNote: `capped: "Open lessons" counts at most 6 credits a year; 4 already credited in ${year}, so 2 of 4 credited` });
    expect(await total('t1')).toBe(6);
    const ledger = (await call('GET', `/learners/t1/ledger?period=${year}`)).body;
    expect(ledger.entries.map((e: { reason: string }) => e.reason)).toContain(`"Open lesson on geometry" (${approved.capNote})`);
    expect((await sdk.getAward(second.awardId)).history!.map((h) => h.action)).toEqual(['requested', 'approved', 'capped']);
    const third = await sdk.createAward({ learnerId: 't1', source: 'growth', title: 'Open lesson on algebra', credits: 1, period: year, category: 'open-lesson' });
    expect(await sdk.approveAward(third.awardId)).toMatchObject({ creditedCredits: 0, capNote: expect.stringContaining('so 0 of 1 credited') });
    expect(await total('t1')).toBe(6);
    // Another category and another learner have their own room.
    const research = await sdk.createAward({ learnerId: 't1', source: 'growth', title: 'Research project', credits: 8, period: year, category: 'research' });
    expect(await sdk.approveAward(research.awardId)).toMatchObject({ creditedCredits: 8, capNote: null });
    const other = await sdk.createAward({ learnerId: 't2', source: 'growth', title: 'Open lesson', credits: 5, period: year, category: 'open-lesson' });
    expect(await sdk.approveAward(other.awardId)).toMatchObject({ creditedCredits: 5 });
    expect(await total('t1')).toBe(14);
    const err = await sdk.approveAward(other.awardId).catch((e) => e);
    expect(err).toBeInstanceOf(XcreditError);
    expect(err.status).toBe(409);
  });
});
