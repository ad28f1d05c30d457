import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as fontkit from 'fontkit';
import jsqr from 'jsqr';
import { PDFDict, PDFDocument, PDFName, PDFRawStream, decodePDFRawStream } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { certificatePdf, drawable } from './pdf.js';
import { createClient, startTestServer, watchCourse, type Engine, type TestServer } from '../testing.js';

const engines: Engine[] = inject('postgresUrl') ? ['pglite', 'postgres'] : ['pglite'];
type Json = Record<string, any>;

// Reads certificates back as a person's tools would: poppler's pdftotext and pdftoppm
// (Debian's poppler-utils; .ci/run installs it), and jsQR for the code on the rendered page.
const run = promisify(execFile);
// jsqr is CommonJS with an ES default export: which object holds the function depends on the loader.
const jsQR = (typeof jsqr === 'function' ? jsqr : jsqr.default) as typeof jsqr.default;

async function withFile<T>(pdf: Buffer, use: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'xcredit-pdf-'));
  try {
    const path = join(dir, 'certificate.pdf');
    await writeFile(path, pdf);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The text of every page, as pdftotext extracts it. */
function pdfText(pdf: Buffer): Promise<string> {
  return withFile(pdf, async (path) => (await run('pdftotext', ['-enc', 'UTF-8', path, '-'], { encoding: 'utf8' })).stdout);
}

/** The first page rendered at `dpi` by pdftoppm, as RGBA pixels. */
function renderPage(pdf: Buffer, dpi = 150): Promise<{ width: number; height: number; data: Uint8ClampedArray }> {
  return withFile(pdf, async (path) => {
    const { stdout } = await run('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', path], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
    // A binary PPM: "P6 <width> <height> 255" and then RGB bytes.
    const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(stdout.subarray(0, 64).toString('latin1'));
    if (!header) throw new Error('pdftoppm did not write a PPM image');
    const [width, height] = [Number(header[1]), Number(header[2])];
    const rgb = stdout.subarray(header[0].length);
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0, j = 0; i < width * height; i++, j += 3) data.set([rgb[j]!, rgb[j + 1]!, rgb[j + 2]!, 255], i * 4);
    return { width, height, data };
  });
}

/** What the QR code on the first page says, or null when none is found. */
async function readQr(pdf: Buffer): Promise<string | null> {
  const { width, height, data } = await renderPage(pdf);
  return jsQR(data, width, height)?.data ?? null;
}

/** How many glyphs each embedded font subset has, and how many of them have no outline. */
async function subsetGlyphs(pdf: Buffer): Promise<{ glyphs: number; blank: number }[]> {
  const doc = await PDFDocument.load(pdf);
  const fonts: { glyphs: number; blank: number }[] = [];
  for (const [, object] of doc.context.enumerateIndirectObjects()) {
    if (!(object instanceof PDFDict) || object.get(PDFName.of('Type')) !== PDFName.of('FontDescriptor')) continue;
    const file = doc.context.lookup(object.get(PDFName.of('FontFile2')));
    if (!(file instanceof PDFRawStream)) continue;
    const font = fontkit.create(Buffer.from(decodePDFRawStream(file).decode())) as fontkit.Font;
    let blank = 0;
    for (let id = 1; id < font.numGlyphs; id++) if (font.getGlyph(id).path.commands.length === 0) blank++;
    fonts.push({ glyphs: font.numGlyphs, blank });
  }
  return fonts;
}

const URL_ = 'https://lrs.example.com/certificates/Zk3q9Yx2Lm8Pw4Rt6Vb1Nc0d';
const layout = (name: string, title: string) => ({
  heading: 'Certificate of completion',
  subheading: '结业证书',
  name,
  lines: ['has completed the course', title, '4 credits \u2022 2026 \u2022 issued 2026-03-02'],
  footer: ['Issued by 华东师范大学附属中学 \u2022 certificate Zk3q9Yx2Lm8Pw4Rt6Vb1Nc0d', `Verify at ${URL_}`],
  verifyUrl: URL_,
  issuedAt: new Date('2026-03-02T08:00:00Z'),
});

describe('certificate PDF', () => {
  it.each([
    ['张伟', '职业道德与合规'],
    ['山田太郎', 'ハラスメント防止研修'],
    ['김민준', '직장 내 안전 교육'],
    ['Ana Silva', 'Ethics'],
  ])('prints %s and %s as text a reader extracts, with a QR code of the verification URL, in a small file', async (name, title) => {
    const pdf = await certificatePdf(layout(name, title));
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);
    for (const words of [name, title, '结业证书', 'Certificate of completion', '华东师范大学附属中学', `Verify at ${URL_}`, 'Scan to verify']) expect(text).toContain(words);
    expect(await readQr(pdf)).toBe(URL_);
    // Subsets: only the glyphs on the page travel (the fonts themselves are 6 to 10 MB each),
    // and every one of them keeps its outline (only the space is blank).
    expect(pdf.length).toBeLessThan(80_000);
    const fonts = await subsetGlyphs(pdf);
    expect(fonts.length).toBeGreaterThanOrEqual(2);
    for (const f of fonts) {
      expect(f.glyphs).toBeLessThan(120);
      expect(f.blank).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('shortens a title too long for the page, and knows which text its fonts cannot draw', async () => {
    const text = await pdfText(await certificatePdf(layout('张伟', '安全'.repeat(200))));
    expect(text).toContain('安全安全');
    expect(text).toContain('\u2026');
    expect(await drawable('张伟 山田太郎 김민준 Ana Silva, Ñúñez')).toBe(true);
    expect(await drawable('สมชาย')).toBe(false);
  }, 120_000);
});

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
    await ok('PUT', '/learners/cai', { displayName: '张伟' });
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
    const bytes = Buffer.from(await pdf.arrayBuffer());
    const text = await pdfText(bytes);
    expect(text).toContain('Ana Silva');
    expect(text).toContain('Ethics');
    expect(text).toContain(`Verify at ${cert.verifyUrl}`);
    expect(await readQr(bytes)).toBe(cert.verifyUrl);
    expect((await ok('GET', `/certificates/${cert.certificateId}`)).valid).toBe(true);
  });

  it('prints a Chinese name in the PDF as on the verification page', async () => {
    // Two requests at once still make one certificate.
    const [a, b] = await Promise.all([0, 1].map(() => call('POST', '/api/v1/certificates', { learnerId: 'cai', courseId: 'ethics', period: year() })));
    expect([a!.status, b!.status].sort()).toEqual([200, 201]);
    expect(a!.body.certificateId).toBe(b!.body.certificateId);
    const cert = a!.body;
    expect(await (await fetch(cert.verifyUrl)).text()).toContain('张伟');
    const bytes = Buffer.from(await (await fetch(cert.pdfUrl)).arrayBuffer());
    const text = await pdfText(bytes);
    expect(text).toContain('张伟');
    expect(text).toContain('结业证书');
    expect(await readQr(bytes)).toBe(cert.verifyUrl);
  }, 120_000);

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
