import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient, startTestServer, watchCourse, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
type Json = Record<string, any>;

/** Checks the PDF's cross-reference table: every offset must point at the object it names. */
function checkPdf(pdf: Buffer) {
  const text = pdf.toString('latin1');
  expect(text.startsWith('%PDF-1.4')).toBe(true);
  const xref = Number(/startxref\n(\d+)\n%%EOF\n$/.exec(text)![1]);
  expect(text.slice(xref, xref + 4)).toBe('xref');
  const offsets = [...text.slice(xref).matchAll(/^(\d{10}) 00000 n $/gm)].map((m) => Number(m[1]));
  expect(offsets.length).toBeGreaterThanOrEqual(6);
  offsets.forEach((o, i) => expect(text.slice(o, o + `${i + 1} 0 obj`.length)).toBe(`${i + 1} 0 obj`));
  return text;
}

describe.each(engines)('certificates on %s', (engine) => {
  let server: TestServer;
  const call = async (method: string, path: string, body?: unknown, authorization = server.admin.authorization) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: { authorization, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const type = res.headers.get('content-type') ?? '';
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, type, buf, text: buf.toString('utf8'), body: type.includes('json') ? JSON.parse(buf.toString('utf8')) : undefined };
  };
  const ok = async (method: string, path: string, body?: unknown): Promise<Json> => {
    const r = await call(method, `/api/v1${path}`, body);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
    return r.body;
  };
  const year = () => String(server.clock!().getUTCFullYear());

  const course = { title: 'Ethics', activityId: 'https://example.com/courses/ethics', credits: 4, kind: 'elective', lengthSeconds: 60 };

  // Starting PGlite and watching each course with its heartbeats takes a while on a busy machine.
  beforeAll(async () => {
    server = await startTestServer({ engine, postgresUrl: inject('postgresUrl') ?? undefined, manualClock: true });
    await ok('PUT', '/learners/ana', { displayName: 'Ana Silva' });
    await ok('PUT', '/learners/cai', { displayName: '蔡明' });
    await ok('PUT', '/learners/sam', {});
    await ok('PUT', '/courses/ethics', course);
    await ok('PUT', `/targets/${year()}`, { total: 10, required: 0 });
    await watchCourse(server, 'ana', 'ethics', 60);
    await watchCourse(server, 'cai', 'ethics', 60);
    await watchCourse(server, 'sam', 'ethics', 2); // claims the whole video in 2 s: earns nothing
  }, 180_000);
  afterAll(() => server?.close());

  it('issues a course certificate once, with a PDF and a page anyone can open to verify it', async () => {
    const first = await call('POST', '/api/v1/certificates', { learnerId: 'ana', courseId: 'ethics', period: year() });
    expect(first.status).toBe(201);
    const cert = first.body;
    expect(cert).toMatchObject({ kind: 'course', learnerId: 'ana', learnerName: 'Ana Silva', courseId: 'ethics', title: 'Ethics', credits: 4, period: year() });
    expect(cert.certificateId).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(cert.verifyUrl).toBe(`${server.url}/certificates/${cert.certificateId}`);
    expect(cert.pdfUrl).toBe(`${server.url}/certificates/${cert.certificateId}.pdf`);
    const again = await call('POST', '/api/v1/certificates', { learnerId: 'ana', courseId: 'ethics', period: year() });
    expect(again.status).toBe(200);
    expect(again.body.certificateId).toBe(cert.certificateId);

    const page = await fetch(cert.verifyUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('data-valid="true"');
    expect(html).toContain('Ana Silva');
    expect(html).toContain('completed the course <strong>Ethics</strong>');
    const pdf = await fetch(cert.pdfUrl);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const text = checkPdf(Buffer.from(await pdf.arrayBuffer()));
    expect(text).toContain('(Ana Silva) Tj');
    expect(text).toContain(`(Verify at ${cert.verifyUrl}) Tj`);
    expect((await ok('GET', `/certificates/${cert.certificateId}`)).valid).toBe(true);
  });

  it('shows names in any script on the page, and a Latin fallback in the PDF', async () => {
    // Two requests at once still make one certificate.
    const [a, b] = await Promise.all([0, 1].map(() => call('POST', '/api/v1/certificates', { learnerId: 'cai', courseId: 'ethics', period: year() })));
    expect([a!.status, b!.status].sort()).toEqual([200, 201]);
    expect(a!.body.certificateId).toBe(b!.body.certificateId);
    const cert = a!.body;
    expect(await (await fetch(cert.verifyUrl)).text()).toContain('蔡明');
    const text = checkPdf(Buffer.from(await (await fetch(cert.pdfUrl)).arrayBuffer()));
    expect(text).toContain('(cai) Tj');
  });

  it('refuses what was not earned, unknown learners and courses, and bad input', async () => {
    const cases: [unknown, number, string][] = [
      [{ learnerId: 'sam', courseId: 'ethics', period: year() }, 409, 'courseId'],
      [{ learnerId: 'sam', period: year() }, 409, 'target not met'],
      [{ learnerId: 'ghost', courseId: 'ethics', period: year() }, 404, 'learnerId'],
      [{ learnerId: 'ana', courseId: 'nope', period: year() }, 404, 'courseId'],
      [{ learnerId: 'ana', courseId: 'ethics', period: '26' }, 400, 'period'],
      [{ learnerId: 'ana', courseId: 'ethics' }, 400, 'period'],
      [{ learnerId: 'ana', courseId: 'ethics', period: year(), extra: 1 }, 400, 'extra'],
    ];
    for (const [input, status, words] of cases) {
      const r = await call('POST', '/api/v1/certificates', input);
      expect(r.status, JSON.stringify(input)).toBe(status);
      expect(r.body.error.message).toContain(words);
    }
    const reader = await createClient(server.store.db, { tenantId: 'default', name: 'reader', scopes: ['credits/read'] });
    const denied = await call('POST', '/api/v1/certificates', { learnerId: 'ana', courseId: 'ethics', period: year() }, `Basic ${Buffer.from(`${reader.key}:${reader.secret}`).toString('base64')}`);
    expect(denied.status).toBe(403);
    const unknown = await call('GET', '/certificates/AAAAAAAAAAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('No such certificate');
    expect((await call('GET', '/certificates/short.pdf')).status).toBe(404);
  });

  it('certifies a met yearly target, and says so when credits taken back make a certificate invalid', async () => {
    await ok('POST', '/awards', { learnerId: 'ana', source: 'offline', title: 'First aid', credits: 6, period: year() });
    const target = await call('POST', '/api/v1/certificates', { learnerId: 'ana', period: year() });
    expect(target.status).toBe(201);
    expect(target.body).toMatchObject({ kind: 'target', courseId: null, credits: 10, title: `the ${year()} learning target of 10 credits` });
    const courseCert = (await call('POST', '/api/v1/certificates', { learnerId: 'ana', courseId: 'ethics', period: year() })).body;
    // The course now requires 30 minutes of study, more than the learner did: its credits go, and the target with them.
    await ok('PUT', '/courses/ethics', { ...course, policy: { gates: { minStudyMinutes: 30 } } });
    const page = await (await fetch(courseCert.verifyUrl)).text();
    expect(page).toContain('data-valid="false"');
    expect(page).toContain('no longer valid');
    expect((await ok('GET', `/certificates/${target.body.certificateId}`)).valid).toBe(false);
  });
});
